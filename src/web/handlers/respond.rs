//! Responses every handler builds the same way: a page, a page shown again with a status,
//! a download with a Chinese file name, a QR code. Kept apart so that handler modules
//! depend on this file and never on each other for it.

use rouille::Response;

const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A page as a 200 response.
pub fn html(markup: maud::Markup) -> Response {
    Response::html(markup.into_string())
}

/// A page with another status (a form shown again with what went wrong is 422).
pub fn rejected(markup: maud::Markup, status: u16) -> Response {
    Response::html(markup.into_string()).with_status_code(status)
}

/// A 429 answer that also tells the browser how long to wait.
pub fn too_many(response: Response, secs: u64) -> Response {
    response
        .with_status_code(429)
        .with_unique_header("Retry-After", secs.to_string())
}

/// An xlsx download with a Chinese file name.
pub fn xlsx(bytes: Vec<u8>, file_name: &str) -> Response {
    download(XLSX_MIME, bytes, file_name, "download.xlsx")
}

/// A download of `bytes` saved as `file_name`; `ascii_fallback` is the name for the few
/// clients that do not read the UTF-8 form.
pub fn download(mime: &str, bytes: Vec<u8>, file_name: &str, ascii_fallback: &str) -> Response {
    Response::from_data(mime.to_string(), bytes).with_unique_header(
        "Content-Disposition",
        content_disposition(file_name, ascii_fallback),
    )
}

/// An attachment header that keeps a Chinese file name (RFC 6266 / 5987).
pub fn content_disposition(file_name: &str, ascii_fallback: &str) -> String {
    // RFC 5987's attr-char allows every byte the query encoding leaves as it is.
    let encoded = crate::views::components::encode_query(file_name);
    format!("attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{encoded}")
}

/// An SVG QR code of `text` (None if the text is too long for a QR code).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(280, 280)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_file_names_are_percent_encoded_with_an_ascii_fallback() {
        assert_eq!(
            content_disposition("名单 1.xlsx", "download.xlsx"),
            "attachment; filename=\"download.xlsx\"; filename*=UTF-8''%E5%90%8D%E5%8D%95%201.xlsx"
        );
    }
}
