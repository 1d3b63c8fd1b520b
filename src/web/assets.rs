//! Static files from `assets/`, embedded in the binary (debug builds read the folder).
//! Each answer carries an ETag from the file's hash; a matching If-None-Match gets 304.

use rouille::{Request, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
#[exclude = "reference/*"]
struct Assets;

/// Serve `assets/<path>`.
pub fn serve(req: &Request, path: &str) -> Response {
    if path.contains("..") {
        return Response::empty_404();
    }
    let Some(file) = Assets::get(path) else {
        return Response::text("找不到文件。").with_status_code(404);
    };
    let hash = file.metadata.sha256_hash();
    let etag = format!("\"{}\"", crate::domain::secret::hex(&hash[..16]));
    let cache = "public, max-age=300, must-revalidate";
    let matches = req
        .header("If-None-Match")
        .is_some_and(|h| h.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Response {
            status_code: 304,
            headers: vec![
                ("ETag".into(), etag.into()),
                ("Cache-Control".into(), cache.into()),
            ],
            data: rouille::ResponseBody::empty(),
            upgrade: None,
        };
    }
    Response::from_data(content_type(path), file.data.into_owned())
        .with_unique_header("ETag", etag)
        .with_unique_header("Cache-Control", cache)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "txt" | "md" => "text/plain; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}
