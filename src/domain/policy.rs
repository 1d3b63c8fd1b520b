//! The policy documents behind 友情链接 (the notice, the notice it forwards and its three
//! annexes) as sections of typed blocks, one section per page, and the external sites the
//! manual names. The text lives in `assets/policy/documents.txt`, cleaned once from the
//! Word original (`assets/policy/notice.txt`); a test keeps every original sentence there.

use std::sync::OnceLock;

/// One piece of a document, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// The document's full title.
    Title(&'static str),
    /// A document number or a line under the title (附件1, 抄送…).
    Meta(&'static str),
    Heading(&'static str),
    Paragraph(&'static str),
    /// A signature or date line, set to the right.
    Signature(&'static str),
    /// A pointer to a page of Kezhi that does what the text describes (not in the original).
    Link {
        href: &'static str,
        label: &'static str,
    },
    /// A note added by Kezhi (not in the original).
    Note(&'static str),
    /// The columns of an official form: "teams" (附件1) or "volunteers" (附件2).
    Form(&'static str),
}

/// One document section, shown as its own page at `/links/<slug>`.
#[derive(Debug, Clone)]
pub struct Section {
    pub slug: &'static str,
    /// The short title used in the contents list and the page title.
    pub short: &'static str,
    pub blocks: Vec<Block>,
}

impl Section {
    /// The full title if the section has one, else the short title.
    pub fn title(&self) -> &'static str {
        self.blocks
            .iter()
            .find_map(|b| match b {
                Block::Title(t) => Some(*t),
                _ => None,
            })
            .unwrap_or(self.short)
    }
}

/// Every section in the order of the original.
pub fn sections() -> &'static [Section] {
    static SECTIONS: OnceLock<Vec<Section>> = OnceLock::new();
    SECTIONS.get_or_init(|| parse(include_str!("../../assets/policy/documents.txt")))
}

/// The section with this slug.
pub fn section(slug: &str) -> Option<&'static Section> {
    sections().iter().find(|s| s.slug == slug)
}

/// A site outside Kezhi that the manual's 友情链接 names.
pub struct ExternalSite {
    pub name: &'static str,
    pub url: &'static str,
    /// Where the address comes from, or what to do when it is only a way in.
    pub note: &'static str,
}

/// The manual's 友情链接 (3.4) plus the platform the notice names, in the notice's order.
pub const EXTERNAL_SITES: &[ExternalSite] = &[
    ExternalSite {
        name: "科技志愿服务信息平台",
        url: "http://www.stvs.org.cn/",
        note: "通知中给出的全国平台网址。",
    },
    ExternalSite {
        name: "中国科协官网",
        url: "https://www.cast.org.cn/",
        note: "中国科学技术协会网站。",
    },
    ExternalSite {
        name: "中国志愿服务联合会",
        url: "https://www.cvf.org.cn/",
        note: "中国志愿服务联合会网站。",
    },
    // The manual names 绿平台 without an address; send people to CAST's homepage rather
    // than guess one.
    ExternalSite {
        name: "中国科协绿平台",
        url: "https://www.cast.org.cn/",
        note: "手册没有给出网址，请从中国科协官网进入。",
    },
];

fn parse(text: &'static str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(head) = line.strip_prefix("=== ") {
            let (slug, short) = head.split_once('|').unwrap_or((head, head));
            out.push(Section {
                slug: slug.trim(),
                short: short.trim(),
                blocks: Vec::new(),
            });
            continue;
        }
        // The file's own header comes before the first section.
        let Some(section) = out.last_mut() else {
            continue;
        };
        let block = if let Some(t) = line.strip_prefix("## ") {
            Block::Heading(t)
        } else if let Some(t) = line.strip_prefix("# ") {
            Block::Title(t)
        } else if let Some(t) = line.strip_prefix("% ") {
            Block::Meta(t)
        } else if let Some(t) = line.strip_prefix("- ") {
            Block::Signature(t)
        } else if let Some(t) = line.strip_prefix("! ") {
            Block::Note(t)
        } else if let Some(t) = line.strip_prefix("@form ") {
            Block::Form(t.trim())
        } else if let Some(t) = line.strip_prefix("=> ") {
            let (href, label) = t.split_once(' ').unwrap_or((t, t));
            Block::Link {
                href,
                label: label.trim(),
            }
        } else {
            Block::Paragraph(line)
        };
        section.blocks.push(block);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The original without whitespace and Word's markers, to look sentences up in.
    fn original() -> String {
        let mut s: String = include_str!("../../assets/policy/notice.txt")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for marker in ["[image:]", "[bookmark:_GoBack]"] {
            s = s.replace(marker, "");
        }
        while let Some(i) = s.find("[bookmark:") {
            let end = s[i..].find(']').map_or(s.len(), |e| i + e + 1);
            s.replace_range(i..end, "");
        }
        s
    }

    #[test]
    fn every_original_line_is_from_the_notice() {
        let original = original();
        for s in sections() {
            for b in &s.blocks {
                let text = match b {
                    Block::Title(t)
                    | Block::Meta(t)
                    | Block::Heading(t)
                    | Block::Paragraph(t)
                    | Block::Signature(t) => *t,
                    Block::Link { .. } | Block::Note(_) | Block::Form(_) => continue,
                };
                let bare: String = text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .trim_end_matches(['。', '，', '：'])
                    .to_string();
                assert!(
                    original.contains(&bare),
                    "{}: not in the original: {text}",
                    s.slug
                );
            }
        }
    }

    #[test]
    fn sections_are_clean_and_link_home() {
        let slugs: Vec<_> = sections().iter().map(|s| s.slug).collect();
        assert_eq!(
            slugs,
            ["forward", "notice", "annex-1", "annex-2", "annex-3"]
        );
        for s in sections() {
            assert!(!s.blocks.is_empty(), "{}", s.slug);
            for b in &s.blocks {
                let text = format!("{b:?}");
                for junk in ["如下图", "[image", "[bookmark", "二维码如下"] {
                    assert!(!text.contains(junk), "{}: {text}", s.slug);
                }
                if let Block::Link { href, .. } = b {
                    assert!(href.starts_with('/') && !href.starts_with("//"), "{href}");
                }
                if let Block::Form(f) = b {
                    assert!(matches!(*f, "teams" | "volunteers"), "{f}");
                }
            }
        }
        assert!(section("annex-3").unwrap().blocks.iter().any(|b| matches!(
            b,
            Block::Link {
                href: "/login?next=/register/volunteer",
                ..
            }
        )));
        assert_eq!(
            section("notice").unwrap().title(),
            "中国科协科普部关于进一步做好科技志愿服务有关工作的通知"
        );
    }
}
