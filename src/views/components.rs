//! Small pieces shared by pages: form fields with their error beside them, the CSRF
//! field, notices.

use maud::{Markup, html};

/// A value for a URL query: everything but unreserved ASCII percent-encoded (UTF-8).
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The hidden CSRF token every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// One labelled input with its error message under it.
pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub error: Option<&'a str>,
    pub hint: Option<&'a str>,
    /// `autocomplete` attribute.
    pub autocomplete: &'a str,
    /// `inputmode` attribute (numeric keyboards on phones).
    pub inputmode: Option<&'a str>,
    pub required: bool,
}

impl<'a> Field<'a> {
    /// A required text input.
    pub fn text(name: &'a str, label: &'a str, value: &'a str) -> Field<'a> {
        Field {
            name,
            label,
            kind: "text",
            value,
            error: None,
            hint: None,
            autocomplete: "off",
            inputmode: None,
            required: true,
        }
    }

    /// A required password input (never pre-filled).
    pub fn password(name: &'a str, label: &'a str, autocomplete: &'a str) -> Field<'a> {
        Field {
            kind: "password",
            autocomplete,
            ..Field::text(name, label, "")
        }
    }

    /// A mobile phone input with a numeric keyboard.
    pub fn phone(name: &'a str, label: &'a str, value: &'a str) -> Field<'a> {
        Field {
            kind: "tel",
            autocomplete: "tel",
            inputmode: Some("numeric"),
            ..Field::text(name, label, value)
        }
    }

    /// Attach an error message.
    pub fn error(mut self, e: Option<&'a str>) -> Self {
        self.error = e;
        self
    }

    /// Attach a hint shown under the label.
    pub fn hint(mut self, h: &'a str) -> Self {
        self.hint = Some(h);
        self
    }

    /// Render it.
    pub fn render(&self) -> Markup {
        let id = format!("f-{}", self.name);
        let err_id = format!("err-{}", self.name);
        html! {
            div.field.has-error[self.error.is_some()] {
                label for=(id) { (self.label) }
                @if let Some(h) = self.hint { small.hint { (h) } }
                input id=(id) name=(self.name) type=(self.kind) value=(self.value)
                    autocomplete=(self.autocomplete)
                    inputmode=[self.inputmode]
                    required[self.required]
                    aria-invalid=[self.error.map(|_| "true")]
                    aria-describedby=[self.error.map(|_| err_id.as_str())];
                @if let Some(e) = self.error {
                    p.error id=(err_id) { (e) }
                }
            }
        }
    }
}

/// The anchor a long form posts to, so the re-rendered page opens at the summary of what
/// to fix even without JavaScript (a redirect after success keeps no visible effect).
pub const ERROR_SUMMARY_ANCHOR: &str = "#error-summary";

/// What went wrong with a submitted form, at its top: the form's own message, and with
/// field errors "有 N 处需要修改" with one link per faulty field (in page order). With
/// JavaScript, `app.js` moves the focus to the first faulty field.
pub fn form_feedback(form: &FormState) -> Markup {
    let errors = form.errors_in_order();
    html! {
        @if form.message.is_some() || !errors.is_empty() {
            div.error-summary id="error-summary" role="alert" {
                @if let Some(m) = &form.message { p.form-error { (m) } }
                @if !errors.is_empty() {
                    p.error-count { "有 " (errors.len()) " 处需要修改：" }
                    ul {
                        @for (field, message) in &errors {
                            li { a href={ "#f-" (field) } { (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// A message box at the top of a form.
pub fn form_error(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.form-error role="alert" { (m) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_shows_error_and_escapes_value() {
        let html = Field::phone("phone", "手机号", "\"><script>")
            .error(Some("手机号应为11位数字"))
            .render()
            .into_string();
        assert!(html.contains("has-error"));
        assert!(html.contains("手机号应为11位数字"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("inputmode=\"numeric\""));
    }
}

/// What a form shows again after a rejected submission: the values typed, an error per
/// field, and an optional message for the whole form.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub values: std::collections::BTreeMap<String, String>,
    pub errors: std::collections::BTreeMap<String, String>,
    /// Fields in the order they failed: checks run in the form's order, so the first is
    /// the first faulty field on the page (the summary lists them so).
    pub error_order: Vec<String>,
    pub message: Option<String>,
}

impl FormState {
    /// The value typed for `field`, or "".
    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// The error for `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// Remember a value.
    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.values.insert(field.to_string(), value.into());
    }

    /// Mark a field wrong (the first message for a field is kept).
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        if !self.errors.contains_key(field) {
            self.error_order.push(field.to_string());
        }
        self.errors.insert(field.to_string(), message.into());
    }

    /// The field errors in page order: (field, message).
    pub fn errors_in_order(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .error_order
            .iter()
            .filter_map(|f| Some((f.as_str(), self.errors.get(f)?.as_str())))
            .collect();
        // Errors set directly on the map (none today) still appear, after the others.
        for (f, m) in &self.errors {
            if !self.error_order.contains(f) {
                out.push((f.as_str(), m.as_str()));
            }
        }
        out
    }

    /// Whether nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty() && self.message.is_none()
    }
}

/// A dropdown of fixed options, with the choice kept and the error beside it.
pub fn select_field(
    name: &str,
    label: &str,
    options: &[&str],
    selected: &str,
    error: Option<&str>,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            select id=(id) name=(name) required aria-invalid=[error.map(|_| "true")] {
                option value="" { "请选择" }
                @for o in options {
                    option value=(o) selected[*o == selected] { (o) }
                }
            }
            @if let Some(e) = error { p.error { (e) } }
        }
    }
}

/// A dropdown for filtering a list: optional, "全部" means no filter.
pub fn filter_select(name: &str, label: &str, options: &[&str], selected: &str) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) {
                option value="" { "全部" }
                @for o in options {
                    option value=(o) selected[*o == selected] { (o) }
                }
            }
        }
    }
}

/// A group of checkboxes for a multi-select field (服务类别, 服务领域或行业).
pub fn checkbox_group(
    name: &str,
    label: &str,
    options: &[&str],
    selected: &[&str],
    error: Option<&str>,
) -> Markup {
    html! {
        fieldset.field.has-error[error.is_some()] id={ "f-" (name) } {
            legend { (label) small.hint { "（可多选）" } }
            div.checks {
                @for o in options {
                    label {
                        input type="checkbox" name=(name) value=(o) checked[selected.contains(o)];
                        (o)
                    }
                }
            }
            @if let Some(e) = error { p.error { (e) } }
        }
    }
}

/// One region level's choices for a select.
pub struct RegionOptions<'a> {
    pub provinces: &'a [(String, String)],
    pub cities: &'a [(String, String)],
    pub counties: &'a [(String, String)],
}

/// Province / city / county selects. With JavaScript they cascade through
/// `/api/regions`; without it the "更新市县列表" button posts the form back and the server
/// fills the next list (nothing is saved by that step).
pub fn region_fields(form: &FormState, options: &RegionOptions, group: &str) -> Markup {
    let level = |name: &str, label: &str, placeholder: &str, list: &[(String, String)]| {
        let id = format!("f-{name}");
        let err = form.error(name);
        html! {
            div.field.has-error[err.is_some()] {
                label for=(id) { (label) }
                select id=(id) name=(name) data-region=(name) data-region-group=(group)
                    aria-invalid=[err.map(|_| "true")] {
                    option value="" { (placeholder) }
                    @for (code, n) in list {
                        option value=(code) selected[form.value(name) == code] { (n) }
                    }
                }
                @if let Some(e) = err { p.error { (e) } }
            }
        }
    };
    html! {
        fieldset.region id={ "region-" (group) } {
            legend { "所在区域" }
            div.region-row {
                (level("province", "省", "请选择省", options.provinces))
                (level("city", "市", "请选择市", options.cities))
                (level("county", "县（区）", "请选择县（区）", options.counties))
            }
            button type="submit" name="_step" value="region" formnovalidate data-js-hide {
                "更新市县列表"
            }
        }
    }
}

/// The invisible default button at the top of a form, so Enter in a text field submits
/// the form rather than the first helper button inside it.
pub fn default_submit() -> Markup {
    html! { button.visually-hidden type="submit" tabindex="-1" aria-hidden="true" { "提交" } }
}
