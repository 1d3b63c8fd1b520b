//! Laptop sync over the network: pairing two laptops once (a short code shown on one,
//! typed on the other, and an X25519 exchange proved with that code, so the key of the
//! pair never crosses the network), then syncing both ways with requests signed by that
//! key (HMAC-SHA256 over the path, a counter and the body's hash; the counter must grow,
//! so a replayed request is refused).
//!
//! A sync is a bundle merge in both directions: pull the peer's changes since my
//! watermark for it and merge them (one transaction that also moves the watermark), then
//! push mine since its watermark and let it merge them. The changes log is the change
//! tracker and `store::merge` the one place where incoming records are applied, so the
//! rules of a USB bundle hold: newer wins, a clash of phone or ID number is a conflict, and
//! a repeated or resumed sync only counts records as 未变.

use crate::domain::ids::Gid;
use crate::domain::secret::hex;
use crate::store::merge::Counts;
use crate::store::{Peer, Store, StoreError};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// The wire format of sync requests; a laptop refuses a higher one with a plain message.
pub const WIRE_VERSION: u32 = 1;
/// How long a pairing code is valid.
pub const PAIR_CODE_MINUTES: i64 = 10;
/// Wrong proofs a pairing code survives before it is burned.
const PAIR_WRONG_TRIES: u32 = 5;
/// The largest bundle a sync accepts in one response (a province office's store).
pub const MAX_SYNC_BYTES: u64 = 1024 * 1024 * 1024;

pub const H_VERSION: &str = "X-Kezhi-Sync";
pub const H_PEER: &str = "X-Kezhi-Peer";
pub const H_SEQ: &str = "X-Kezhi-Seq";
pub const H_SIG: &str = "X-Kezhi-Signature";
pub const H_UP_TO: &str = "X-Kezhi-Up-To";

/// What an unpaired client, a wrong key or a replay is told: the same words for each, so
/// a visitor on the hotspot learns nothing about which laptops are paired.
pub const REFUSED: &str = "未配对或签名无效，拒绝同步。";

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    // Length-prefixed, so no two different part lists sign the same bytes.
    for p in parts {
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p);
    }
    m
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// The signature of `parts` under `key`, as hex.
pub fn sign(key: &[u8], parts: &[&[u8]]) -> String {
    hex(&mac(key, parts).finalize().into_bytes())
}

/// Whether `sig` (hex) is the signature of `parts` under `key`, compared in constant time.
pub fn verify(key: &[u8], parts: &[&[u8]], sig: &str) -> bool {
    match unhex(sig) {
        Some(bytes) => mac(key, parts).verify_slice(&bytes).is_ok(),
        None => false,
    }
}

fn body_hash(body: &[u8]) -> Vec<u8> {
    Sha256::digest(body).to_vec()
}

fn request_parts(path: &str, from: Gid, seq: u64, hash: &[u8]) -> Vec<Vec<u8>> {
    vec![
        b"kezhi-sync/request".to_vec(),
        WIRE_VERSION.to_string().into_bytes(),
        path.as_bytes().to_vec(),
        from.to_string().into_bytes(),
        seq.to_string().into_bytes(),
        hash.to_vec(),
    ]
}

fn response_parts(path: &str, seq: u64, status: u16, up_to: &str, hash: &[u8]) -> Vec<Vec<u8>> {
    vec![
        b"kezhi-sync/response".to_vec(),
        path.as_bytes().to_vec(),
        seq.to_string().into_bytes(),
        status.to_string().into_bytes(),
        up_to.as_bytes().to_vec(),
        hash.to_vec(),
    ]
}

fn refs(parts: &[Vec<u8>]) -> Vec<&[u8]> {
    parts.iter().map(Vec::as_slice).collect()
}

/// A pairing code as typed: letters upper-cased, spaces and dashes dropped.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The pairing code shown on this laptop's 数据同步 page, with its expiry and the region
/// the admin limited the new pair to.
#[derive(Debug, Clone)]
pub struct PairCode {
    pub code: String,
    pub expires: DateTime<Utc>,
    pub region: Option<String>,
    wrong: u32,
}

impl PairCode {
    /// The code as shown: two groups of four.
    pub fn shown(&self) -> String {
        format!("{}-{}", &self.code[..4], &self.code[4..])
    }
}

/// The one pairing code of the running server (kept in memory: a restart ends it).
#[derive(Default)]
pub struct PairingDesk(Mutex<Option<PairCode>>);

impl PairingDesk {
    /// The valid code, if any.
    pub fn current(&self, now: DateTime<Utc>) -> Option<PairCode> {
        let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.clone().filter(|c| c.expires > now)
    }

    /// A new code for 10 minutes, replacing any other.
    pub fn issue(&self, now: DateTime<Utc>, region: Option<String>) -> PairCode {
        let code = PairCode {
            code: crate::domain::secret::unambiguous_chars(8),
            expires: now + chrono::Duration::minutes(PAIR_CODE_MINUTES),
            region,
            wrong: 0,
        };
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(code.clone());
        code
    }

    /// End the current code (paired, or the admin asked).
    pub fn burn(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Check a pairing proof against the valid code. On success the code is used up; a
    /// wrong proof counts, and the fifth burns the code.
    fn take_if(&self, now: DateTime<Utc>, proves: impl Fn(&str) -> bool) -> Option<PairCode> {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let code = slot.as_mut().filter(|c| c.expires > now)?;
        if proves(&code.code) {
            return slot.take();
        }
        code.wrong += 1;
        if code.wrong >= PAIR_WRONG_TRIES {
            *slot = None;
        }
        None
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct PairMessage {
    version: u32,
    id: String,
    name: String,
    public: String,
    proof: String,
}

fn pair_key(code: &str, shared: &[u8], server: Gid, client: Gid) -> [u8; 32] {
    let tag = mac(
        code.as_bytes(),
        &[
            b"kezhi-pair/key",
            shared,
            server.to_string().as_bytes(),
            client.to_string().as_bytes(),
        ],
    )
    .finalize()
    .into_bytes();
    let mut key = [0u8; 32];
    key.copy_from_slice(&tag);
    key
}

fn new_secret() -> x25519_dalek::StaticSecret {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    x25519_dalek::StaticSecret::from(bytes)
}

fn public_key(s: &str) -> Option<x25519_dalek::PublicKey> {
    let bytes: [u8; 32] = unhex(s)?.try_into().ok()?;
    Some(x25519_dalek::PublicKey::from(bytes))
}

/// A request that reached `/sync/v1/...`, as plain data.
pub struct Incoming<'a> {
    pub path: &'a str,
    pub version: Option<&'a str>,
    pub peer: Option<&'a str>,
    pub seq: Option<&'a str>,
    pub signature: Option<&'a str>,
    /// The client's address, for the audit log.
    pub remote: &'a str,
    pub body: Vec<u8>,
}

/// The answer to a sync request.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, message: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: vec![(H_VERSION, WIRE_VERSION.to_string())],
            body: message.as_bytes().to_vec(),
        }
    }
}

/// The refusal of a request in a newer wire format than this build speaks.
fn newer_format(found: u32) -> String {
    format!(
        "对方的科志使用更新的同步格式（v{found}），本机只支持 v{WIRE_VERSION}。请先把本机的科志升级到同一版本，再同步。"
    )
}

/// Answer one request of another laptop. Nothing but the pairing route answers without a
/// valid signature of a paired laptop, and every refusal says the same.
pub fn serve(
    store: &Store,
    desk: &PairingDesk,
    site: &str,
    now: DateTime<Utc>,
    req: Incoming<'_>,
) -> Reply {
    let version: u32 = match req.version.map(str::parse) {
        Some(Ok(v)) => v,
        _ => return Reply::text(400, "缺少同步格式版本。"),
    };
    if version > WIRE_VERSION {
        return Reply::text(400, &newer_format(version));
    }
    let result = match req.path {
        "/sync/v1/pair" => serve_pair(store, desk, site, now, &req),
        "/sync/v1/hello" | "/sync/v1/pull" | "/sync/v1/push" => {
            serve_signed(store, site, now, &req)
        }
        _ => Ok(Reply::text(404, "没有这个同步接口。")),
    };
    result.unwrap_or_else(|e| {
        log::error!("sync request {} failed: {e}", req.path);
        Reply::text(500, &e.user_message())
    })
}

fn serve_pair(
    store: &Store,
    desk: &PairingDesk,
    site: &str,
    now: DateTime<Utc>,
    req: &Incoming<'_>,
) -> Result<Reply, StoreError> {
    let refused = || {
        Ok(Reply::text(
            403,
            "配对码错误或已过期。请在对方电脑的“数据同步”页面查看新的配对码。",
        ))
    };
    let Ok(msg) = serde_json::from_slice::<PairMessage>(&req.body) else {
        return Ok(Reply::text(400, "配对请求无法识别。"));
    };
    let (Ok(client), Some(client_public)) = (msg.id.parse::<Gid>(), public_key(&msg.public)) else {
        return Ok(Reply::text(400, "配对请求无法识别。"));
    };
    if client == store.installation_id() {
        return Ok(Reply::text(400, "不能与本机自己配对。"));
    }
    let Some(code) = desk.take_if(now, |code| {
        verify(
            code.as_bytes(),
            &[
                b"kezhi-pair/client",
                msg.id.as_bytes(),
                msg.public.as_bytes(),
            ],
            &msg.proof,
        )
    }) else {
        log::warn!("a pairing attempt with a wrong or expired code was refused");
        return refused();
    };
    let secret = new_secret();
    let public = x25519_dalek::PublicKey::from(&secret);
    let shared = secret.diffie_hellman(&client_public);
    let me = store.installation_id();
    let key = pair_key(&code.code, shared.as_bytes(), me, client);
    let public_hex = hex(public.as_bytes());
    let reply = PairMessage {
        version: WIRE_VERSION,
        id: me.to_string(),
        name: site.to_string(),
        proof: sign(
            &key,
            &[
                b"kezhi-pair/server",
                me.to_string().as_bytes(),
                public_hex.as_bytes(),
                msg.public.as_bytes(),
            ],
        ),
        public: public_hex,
    };
    store.pair_peer(&Peer {
        id: client,
        name: msg.name.chars().take(100).collect(),
        key,
        address: req.remote.to_string(),
        region: code.region.clone(),
        paired_at: now,
        pulled_up_to: 0,
        pushed_up_to: 0,
        seen_seq: 0,
        sent_seq: 0,
        last_sync: None,
    })?;
    super::audit::record(
        store,
        ("sync", req.remote),
        now,
        "sync.pair",
        format!(
            "与“{}”配对（对方发起）{}",
            msg.name,
            region_note(code.region.as_deref())
        ),
        0,
    )?;
    Ok(Reply {
        status: 200,
        content_type: "application/json",
        headers: vec![(H_VERSION, WIRE_VERSION.to_string())],
        body: serde_json::to_vec(&reply).unwrap_or_default(),
    })
}

fn region_note(region: Option<&str>) -> String {
    match region {
        Some(r) => format!("，只发送地区 {r} 的志愿者"),
        None => String::new(),
    }
}

/// Check a signed request: a paired laptop, its signature, and a counter it never used.
fn authenticate(store: &Store, req: &Incoming<'_>) -> Result<Option<(Peer, u64)>, StoreError> {
    let (Some(peer), Some(seq), Some(sig)) = (req.peer, req.seq, req.signature) else {
        return Ok(None);
    };
    let (Ok(peer), Ok(seq)) = (peer.parse::<Gid>(), seq.parse::<u64>()) else {
        return Ok(None);
    };
    let Some(p) = store.peer(peer)? else {
        return Ok(None);
    };
    let parts = request_parts(req.path, peer, seq, &body_hash(&req.body));
    if !verify(&p.key, &refs(&parts), sig) {
        return Ok(None);
    }
    // Only after the signature: an unsigned request cannot move the counter.
    if !store.accept_peer_seq(peer, seq)? {
        return Ok(None);
    }
    Ok(Some((p, seq)))
}

fn signed(
    p: &Peer,
    path: &str,
    seq: u64,
    status: u16,
    up_to: Option<u64>,
    body: Vec<u8>,
    content_type: &'static str,
) -> Reply {
    let up = up_to.map(|u| u.to_string()).unwrap_or_default();
    let sig = sign(
        &p.key,
        &refs(&response_parts(path, seq, status, &up, &body_hash(&body))),
    );
    let mut headers = vec![(H_VERSION, WIRE_VERSION.to_string()), (H_SIG, sig)];
    if up_to.is_some() {
        headers.push((H_UP_TO, up));
    }
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct PullRequest {
    since: u64,
}

/// Counts per entity, as they travel back to the laptop that pushed.
pub type Summary = BTreeMap<String, Counts>;

fn owned(s: crate::store::merge::MergeSummary) -> Summary {
    s.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn serve_signed(
    store: &Store,
    site: &str,
    now: DateTime<Utc>,
    req: &Incoming<'_>,
) -> Result<Reply, StoreError> {
    let Some((peer, seq)) = authenticate(store, req)? else {
        log::warn!(
            "a sync request to {} was refused (unpaired, bad signature or replay)",
            req.path
        );
        return Ok(Reply::text(401, REFUSED));
    };
    match req.path {
        "/sync/v1/hello" => Ok(signed(
            &peer,
            req.path,
            seq,
            200,
            None,
            Vec::new(),
            "text/plain",
        )),
        "/sync/v1/pull" => {
            let Ok(pull) = serde_json::from_slice::<PullRequest>(&req.body) else {
                return Ok(signed(
                    &peer,
                    req.path,
                    seq,
                    400,
                    None,
                    Vec::new(),
                    "text/plain",
                ));
            };
            // The peer says it has merged my changes up to `since`.
            store.advance_peer(peer.id, None, Some(pull.since), None, now)?;
            let written = crate::app::merge::write_bundle(
                store,
                site,
                crate::app::merge::BundleScope {
                    since: Some(pull.since),
                    region: peer.region.as_deref(),
                    forms: false,
                },
                now,
                std::io::Cursor::new(Vec::new()),
            );
            let written = match written {
                Ok(w) => w,
                Err(e) => {
                    log::error!("writing a sync bundle failed: {e}");
                    return Ok(signed(
                        &peer,
                        req.path,
                        seq,
                        500,
                        None,
                        e.into_bytes(),
                        "text/plain; charset=utf-8",
                    ));
                }
            };
            log::info!("sync: sent {} records to a paired laptop", written.records);
            super::audit::record(
                store,
                ("sync", req.remote),
                now,
                "sync.send",
                format!("向已配对的“{}”发送变更（含完整身份证号）", peer.name),
                written.records,
            )?;
            Ok(signed(
                &peer,
                req.path,
                seq,
                200,
                Some(written.up_to),
                written.out.into_inner(),
                "application/zip",
            ))
        }
        _ => {
            let body = req.body.clone();
            let (manifest, input) = match crate::app::merge::read_bundle(body, now) {
                Ok(x) => x,
                Err(r) => {
                    let msg = r.message();
                    return Ok(signed(
                        &peer,
                        req.path,
                        seq,
                        422,
                        None,
                        msg.into_bytes(),
                        "text/plain; charset=utf-8",
                    ));
                }
            };
            if manifest.installation_id != peer.id.to_string() {
                let msg = "数据包不是对方电脑自己的数据。".as_bytes().to_vec();
                return Ok(signed(
                    &peer,
                    req.path,
                    seq,
                    422,
                    None,
                    msg,
                    "text/plain; charset=utf-8",
                ));
            }
            let summary = store.merge_from_peer(peer.id, input, manifest.up_to_sequence, now)?;
            audit_merge(store, ("sync", req.remote), now, &peer.name, &summary)?;
            let body = serde_json::to_vec(&owned(summary)).unwrap_or_default();
            Ok(signed(
                &peer,
                req.path,
                seq,
                200,
                None,
                body,
                "application/json",
            ))
        }
    }
}

fn audit_merge(
    store: &Store,
    actor: (&str, &str),
    now: DateTime<Utc>,
    peer: &str,
    summary: &crate::store::merge::MergeSummary,
) -> Result<(), StoreError> {
    let changed: usize = summary.values().map(|c| c.added + c.updated).sum();
    let conflicts: usize = summary.values().map(|c| c.conflicts).sum();
    super::audit::record(
        store,
        actor,
        now,
        "sync.merge",
        format!("合并来自已配对的“{peer}”的变更：新增或更新 {changed} 条，冲突 {conflicts} 条"),
        changed as u64,
    )
}

// ---------------------------------------------------------------------------------------
// The outgoing side.

/// `192.168.43.1`, `192.168.43.1:8080` or `http://192.168.43.1:8080/` → the base URL.
pub fn base_url(address: &str) -> Result<String, String> {
    let a = address.trim().trim_end_matches('/');
    let a = a.strip_prefix("http://").unwrap_or(a);
    if a.is_empty()
        || a.contains('/')
        || a.starts_with("https:")
        || a.chars().any(char::is_whitespace)
    {
        return Err(format!(
            "地址“{address}”无法识别。请填写对方电脑显示的地址，例如 192.168.43.1:8080。"
        ));
    }
    let has_port = a
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
        && !a.ends_with(']');
    Ok(if has_port {
        format!("http://{a}")
    } else {
        format!("http://{a}:8080")
    })
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn unreachable(base: &str, e: &ureq::Error) -> String {
    log::warn!("sync: {base} could not be reached: {e}");
    format!("无法连接 {base}：请确认两台电脑连在同一个网络，对方的科志正在运行，地址和端口正确。")
}

fn post(base: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> Result<Answer, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        // A province office may take minutes to write a first bundle; a dead peer is
        // noticed by the connection, not by this.
        .timeout_global(Some(Duration::from_secs(3600)))
        .build()
        .into();
    let mut req = agent.post(format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let mut resp = req.send(body).map_err(|e| unreachable(base, &e))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_SYNC_BYTES)
        .read_to_vec()
        .map_err(|e| unreachable(base, &e))?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// A refusal read from an answer: the newer-format message, or the text the peer sent.
fn refusal(a: &Answer) -> String {
    if let Some(v) = a.header(H_VERSION).and_then(|v| v.parse::<u32>().ok())
        && v > WIRE_VERSION
    {
        return newer_format(v);
    }
    let text = String::from_utf8_lossy(&a.body);
    let text: String = text.chars().take(300).collect();
    if text.trim().is_empty() {
        format!("对方拒绝了请求（{}）。", a.status)
    } else {
        format!("对方拒绝了请求：{text}")
    }
}

/// Pair with the laptop at `address` using the code it shows. Returns the new peer.
pub fn pair_with(
    store: &Store,
    site: &str,
    address: &str,
    code: &str,
    region: Option<String>,
    actor: (&str, &str),
    now: DateTime<Utc>,
) -> Result<Peer, String> {
    let base = base_url(address)?;
    let code = normalise_code(code);
    if code.len() != 8 {
        return Err("配对码是 8 位字母和数字，请按对方电脑显示的填写。".into());
    }
    let me = store.installation_id();
    let secret = new_secret();
    let public = hex(x25519_dalek::PublicKey::from(&secret).as_bytes());
    let msg = PairMessage {
        version: WIRE_VERSION,
        id: me.to_string(),
        name: site.to_string(),
        proof: sign(
            code.as_bytes(),
            &[
                b"kezhi-pair/client",
                me.to_string().as_bytes(),
                public.as_bytes(),
            ],
        ),
        public: public.clone(),
    };
    let body = serde_json::to_vec(&msg).map_err(|e| e.to_string())?;
    let a = post(
        &base,
        "/sync/v1/pair",
        &[
            (H_VERSION, WIRE_VERSION.to_string()),
            ("Content-Type", "application/json".into()),
        ],
        &body,
    )?;
    if a.status != 200 {
        return Err(refusal(&a));
    }
    let reply: PairMessage = serde_json::from_slice(&a.body)
        .map_err(|_| "对方的回答无法识别，配对没有完成。".to_string())?;
    let (Ok(server), Some(server_public)) = (reply.id.parse::<Gid>(), public_key(&reply.public))
    else {
        return Err("对方的回答无法识别，配对没有完成。".into());
    };
    let shared = secret.diffie_hellman(&server_public);
    let key = pair_key(&code, shared.as_bytes(), server, me);
    if !verify(
        &key,
        &[
            b"kezhi-pair/server",
            reply.id.as_bytes(),
            reply.public.as_bytes(),
            public.as_bytes(),
        ],
        &reply.proof,
    ) {
        return Err("对方没有证明它知道这个配对码，配对没有完成。".into());
    }
    let peer = Peer {
        id: server,
        name: reply.name.chars().take(100).collect(),
        key,
        address: address.trim().to_string(),
        region: region.clone(),
        paired_at: now,
        pulled_up_to: 0,
        pushed_up_to: 0,
        seen_seq: 0,
        sent_seq: 0,
        last_sync: None,
    };
    let e = |e: StoreError| e.user_message();
    store.pair_peer(&peer).map_err(e)?;
    super::audit::record(
        store,
        actor,
        now,
        "sync.pair",
        format!(
            "与“{}”配对（{}）{}",
            peer.name,
            peer.address,
            region_note(region.as_deref())
        ),
        0,
    )
    .map_err(e)?;
    Ok(peer)
}

/// A step of a running sync, for the progress shown to the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Connecting,
    Receiving,
    Merging(u64),
    Sending(u64),
    Done,
}

impl Step {
    /// The step in words.
    pub fn label(&self) -> String {
        match self {
            Step::Connecting => "正在连接对方电脑……".into(),
            Step::Receiving => "正在接收对方的变更……".into(),
            Step::Merging(n) => format!("正在合并收到的 {n} 条记录……"),
            Step::Sending(n) => format!("正在发送本机的 {n} 条记录……"),
            Step::Done => "同步完成。".into(),
        }
    }
}

/// What a sync did on both laptops.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    pub peer: String,
    /// Merged here from the peer.
    pub received: Summary,
    /// Merged on the peer from here.
    pub sent: Summary,
}

fn signed_post(
    store: &Store,
    base: &str,
    peer: &Peer,
    path: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(Answer, u64), String> {
    let me = store.installation_id();
    let floor = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let seq = store
        .next_peer_seq(peer.id, floor)
        .map_err(|e| e.user_message())?;
    let a = post(
        base,
        path,
        &request_headers(&peer.key, me, seq, path, body),
        body,
    )?;
    Ok((a, seq))
}

/// The headers of a request from `from`, signed with `key` (the tests replay them).
pub fn request_headers(
    key: &[u8],
    from: Gid,
    seq: u64,
    path: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let sig = sign(
        key,
        &refs(&request_parts(path, from, seq, &body_hash(body))),
    );
    vec![
        (H_VERSION, WIRE_VERSION.to_string()),
        (H_PEER, from.to_string()),
        (H_SEQ, seq.to_string()),
        (H_SIG, sig),
    ]
}

/// Whether an answer carries the peer's signature (so a stranger at the address cannot
/// feed this laptop records).
fn answer_is_signed(peer: &Peer, path: &str, seq: u64, a: &Answer) -> bool {
    let up = a.header(H_UP_TO).unwrap_or("");
    let parts = response_parts(path, seq, a.status, up, &body_hash(&a.body));
    a.header(H_SIG)
        .is_some_and(|sig| verify(&peer.key, &refs(&parts), sig))
}

/// Find which paired laptop answers at `base`: the one whose key it accepts and signs with.
fn identify(store: &Store, base: &str, address: &str, now: DateTime<Utc>) -> Result<Peer, String> {
    let mut peers = store.peers().map_err(|e| e.user_message())?;
    if peers.is_empty() {
        return Err("本机还没有与其他电脑配对。请先在“数据同步”页面配对。".into());
    }
    // The laptop last seen at this address first.
    peers.sort_by_key(|p| p.address.trim() != address.trim());
    for p in peers {
        let (a, seq) = signed_post(store, base, &p, "/sync/v1/hello", &[], now)?;
        if a.status == 200 && answer_is_signed(&p, "/sync/v1/hello", seq, &a) {
            return Ok(p);
        }
        if a.status == 400 {
            return Err(refusal(&a));
        }
    }
    Err(format!(
        "{address} 上的电脑没有与本机配对（或已解除配对）。请重新配对后再同步。"
    ))
}

/// Sync with the paired laptop at `address`, both ways: pull and merge its changes since
/// the last sync, then send mine. `progress` is told each step.
pub fn sync_with(
    store: &Store,
    site: &str,
    address: &str,
    actor: (&str, &str),
    now: DateTime<Utc>,
    progress: &dyn Fn(Step),
) -> Result<SyncOutcome, String> {
    let e = |e: StoreError| e.user_message();
    let base = base_url(address)?;
    progress(Step::Connecting);
    let peer = identify(store, &base, address, now)?;

    progress(Step::Receiving);
    let body = serde_json::to_vec(&PullRequest {
        since: peer.pulled_up_to,
    })
    .map_err(|e| e.to_string())?;
    let (a, seq) = signed_post(store, &base, &peer, "/sync/v1/pull", &body, now)?;
    if !answer_is_signed(&peer, "/sync/v1/pull", seq, &a) {
        return Err(if a.status == 200 {
            "对方的回答没有正确的签名，没有合并任何数据。".into()
        } else {
            refusal(&a)
        });
    }
    if a.status != 200 {
        return Err(refusal(&a));
    }
    let up_to: u64 = a
        .header(H_UP_TO)
        .and_then(|v| v.parse().ok())
        .ok_or("对方的回答缺少变更位置，没有合并任何数据。")?;
    let (manifest, input) = crate::app::merge::read_bundle(a.body, now).map_err(|r| r.message())?;
    if manifest.installation_id != peer.id.to_string() {
        return Err("收到的数据包不是对方电脑自己的数据，没有合并。".into());
    }
    let count = (input.teams.len()
        + input.volunteers.len()
        + input.memberships.len()
        + input.activities.len()
        + input.signups.len()
        + input.reports.len()
        + input.certificates.len()) as u64;
    progress(Step::Merging(count));
    let received = store
        .merge_from_peer(peer.id, input, up_to, now)
        .map_err(e)?;
    audit_merge(store, actor, now, &peer.name, &received).map_err(e)?;

    let written = crate::app::merge::write_bundle(
        store,
        site,
        crate::app::merge::BundleScope {
            since: Some(peer.pushed_up_to),
            region: peer.region.as_deref(),
            forms: false,
        },
        now,
        std::io::Cursor::new(Vec::new()),
    )?;
    progress(Step::Sending(written.records));
    let up_to_mine = written.up_to;
    let records = written.records;
    let (a, seq) = signed_post(
        store,
        &base,
        &peer,
        "/sync/v1/push",
        &written.out.into_inner(),
        now,
    )?;
    if !answer_is_signed(&peer, "/sync/v1/push", seq, &a) || a.status != 200 {
        return Err(refusal(&a));
    }
    let sent: Summary = serde_json::from_slice(&a.body)
        .map_err(|_| "对方的回答无法识别；下次同步会重新发送。".to_string())?;
    store
        .advance_peer(peer.id, None, Some(up_to_mine), Some(address), now)
        .map_err(e)?;
    super::audit::record(
        store,
        actor,
        now,
        "sync.send",
        format!("向已配对的“{}”发送变更（含完整身份证号）", peer.name),
        records,
    )
    .map_err(e)?;
    progress(Step::Done);
    Ok(SyncOutcome {
        peer: peer.name,
        received: owned(received),
        sent,
    })
}

/// Forget a paired laptop (audited).
pub fn unpair(
    store: &Store,
    id: Gid,
    actor: (&str, &str),
    now: DateTime<Utc>,
) -> Result<bool, String> {
    let e = |e: StoreError| e.user_message();
    let Some(p) = store.peer(id).map_err(e)? else {
        return Ok(false);
    };
    store.remove_peer(id).map_err(e)?;
    super::audit::record(
        store,
        actor,
        now,
        "sync.unpair",
        format!("解除与“{}”的配对", p.name),
        0,
    )
    .map_err(e)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_check_every_part() {
        let key = [3u8; 32];
        let sig = sign(&key, &[b"a", b"bc"]);
        assert!(verify(&key, &[b"a", b"bc"], &sig));
        assert!(
            !verify(&key, &[b"ab", b"c"], &sig),
            "parts are length-prefixed"
        );
        assert!(!verify(&[4u8; 32], &[b"a", b"bc"], &sig));
        assert!(!verify(&key, &[b"a", b"bc"], "zz"));
        assert!(!verify(&key, &[b"a", b"bc"], "é"));
    }

    #[test]
    fn addresses_become_base_urls() {
        assert_eq!(
            base_url("192.168.43.1").unwrap(),
            "http://192.168.43.1:8080"
        );
        assert_eq!(
            base_url(" http://10.0.0.2:9000/ ").unwrap(),
            "http://10.0.0.2:9000"
        );
        assert!(base_url("").is_err());
        assert!(base_url("a b").is_err());
        assert!(base_url("https://x").is_err());
    }

    #[test]
    fn a_pairing_code_burns_after_five_wrong_tries() {
        let desk = PairingDesk::default();
        let now = Utc::now();
        let code = desk.issue(now, None);
        assert_eq!(normalise_code(&code.shown().to_lowercase()), code.code);
        for _ in 0..4 {
            assert!(desk.take_if(now, |_| false).is_none());
        }
        assert!(desk.current(now).is_some());
        assert!(desk.take_if(now, |_| false).is_none());
        assert!(desk.current(now).is_none(), "burned");
        let code = desk.issue(now, None);
        let later = now + chrono::Duration::minutes(PAIR_CODE_MINUTES + 1);
        assert!(desk.take_if(later, |c| c == code.code).is_none(), "expired");
        assert!(desk.take_if(now, |c| c == code.code).is_some());
        assert!(desk.current(now).is_none(), "used up");
    }
}

/// One sync started from the web page, run in the background so the page can show its
/// progress.
pub struct Run {
    pub address: String,
    state: Mutex<(String, Option<Result<SyncOutcome, String>>)>,
}

impl Run {
    /// The current step in words, and the outcome once finished.
    pub fn state(&self) -> (String, Option<Result<SyncOutcome, String>>) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The syncs started from the web page (the last 20 kept).
#[derive(Default)]
pub struct Runs(Mutex<Vec<(String, std::sync::Arc<Run>)>>);

impl Runs {
    /// Start a sync with `address` in a background thread; returns the run's id.
    pub fn start(
        &self,
        store: std::sync::Arc<Store>,
        site: String,
        address: String,
        actor: (String, String),
        now: DateTime<Utc>,
    ) -> String {
        let id = crate::domain::secret::unambiguous_chars(12);
        let run = std::sync::Arc::new(Run {
            address: address.clone(),
            state: Mutex::new((Step::Connecting.label(), None)),
        });
        {
            let mut runs = self.0.lock().unwrap_or_else(|p| p.into_inner());
            runs.push((id.clone(), run.clone()));
            let excess = runs.len().saturating_sub(20);
            runs.drain(..excess);
        }
        std::thread::spawn(move || {
            let set_step = |s: Step| {
                run.state.lock().unwrap_or_else(|p| p.into_inner()).0 = s.label();
            };
            let outcome = sync_with(
                &store,
                &site,
                &address,
                (&actor.0, &actor.1),
                now,
                &set_step,
            );
            if let Err(e) = &outcome {
                log::warn!("sync from the web page ended without completing: {e}");
            }
            run.state.lock().unwrap_or_else(|p| p.into_inner()).1 = Some(outcome);
        });
        id
    }

    /// A run by id.
    pub fn get(&self, id: &str) -> Option<std::sync::Arc<Run>> {
        let runs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        runs.iter().find(|(k, _)| k == id).map(|(_, r)| r.clone())
    }
}
