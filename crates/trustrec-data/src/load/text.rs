//! Title clean-up: scraped catalogs (e.g. Amazon) keep HTML entities that would otherwise leak
//! into prompts and text encoders.

const NAMED: &[(&str, &str)] = &[
    ("amp", "&"),
    ("quot", "\""),
    ("apos", "'"),
    ("lt", "<"),
    ("gt", ">"),
    ("nbsp", " "),
    ("reg", "®"),
    ("trade", "™"),
    ("copy", "©"),
    ("ndash", "–"),
    ("mdash", "—"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("hellip", "…"),
    ("eacute", "é"),
    ("egrave", "è"),
    ("aacute", "á"),
    ("uuml", "ü"),
    ("ouml", "ö"),
    ("auml", "ä"),
    ("deg", "°"),
];

/// Decodes numeric (`&#39;`, `&#x27;`) and common named HTML entities; unknown ones stay as-is.
pub fn unescape_html(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest[1..]
            .find(';')
            .filter(|&end| end <= 10)
            .and_then(|end| decode(&rest[1..=end]).map(|d| (d, end + 2)));
        match decoded {
            Some((d, used)) => {
                out.push_str(&d);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode(entity: &str) -> Option<String> {
    if let Some(num) = entity.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).map(String::from);
    }
    NAMED
        .iter()
        .find(|(n, _)| *n == entity)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::unescape_html;

    #[test]
    fn decodes_common_entities() {
        assert_eq!(
            unescape_html("Tom &amp; Jerry&#39;s &reg;"),
            "Tom & Jerry's ®"
        );
        assert_eq!(unescape_html("a & b &bogus; &#x41;"), "a & b &bogus; A");
        assert_eq!(unescape_html("no entities"), "no entities");
        assert_eq!(unescape_html("trailing &"), "trailing &");
    }
}
