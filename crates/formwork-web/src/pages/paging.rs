//! Keyset pages with a way back: each page's URL carries the cursors of the pages before it
//! (`back`, repeated, `-` for the first page), so 上一页 is a plain link and the store never
//! pages backwards; and a list's size as a capped count ("1,000+").

use super::format;

/// The `back` value that stands for the first page (which has no cursor).
const FIRST: &str = "-";

/// More pages back than this are not remembered (上一页 then goes to the first page).
const MAX_TRAIL: usize = 50;

/// Where a page is: its cursor and the cursors of the pages before it, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Trail {
    pub(crate) after: Option<String>,
    back: Vec<String>,
}

/// The links of a page: the previous and next page and the first one (when not on it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Links {
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) first: Option<String>,
}

impl Trail {
    /// The trail a query asks for: the last non-empty `after` and every `back`, in order.
    pub(crate) fn from_params(params: &[(String, String)]) -> Trail {
        let after = params
            .iter()
            .rev()
            .find(|(k, v)| k == "after" && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned());
        let mut back: Vec<String> = params
            .iter()
            .filter(|(k, v)| k == "back" && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect();
        if after.is_none() {
            back.clear();
        }
        let skip = back.len().saturating_sub(MAX_TRAIL);
        back.drain(..skip);
        Trail { after, back }
    }

    /// The links from this page, each keeping `kept` (filters, search, sort) before the
    /// paging parameters; `next` is the store's cursor of the page after this one.
    pub(crate) fn links(&self, base: &str, kept: &[(String, String)], next: Option<&str>) -> Links {
        let link = |after: Option<&str>, back: &[String]| {
            let mut pairs = kept.to_vec();
            if let Some(after) = after {
                pairs.extend(back.iter().map(|b| ("back".to_owned(), b.clone())));
                pairs.push(("after".to_owned(), after.to_owned()));
            }
            let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            if query.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{query}")
            }
        };
        let next = next.map(|next| {
            let mut back = self.back.clone();
            back.push(self.after.clone().unwrap_or_else(|| FIRST.to_owned()));
            link(Some(next), &back)
        });
        let prev = self.after.as_ref().map(|_| match self.back.split_last() {
            Some((last, earlier)) if last != FIRST => link(Some(last), earlier),
            _ => link(None, &[]),
        });
        let first = self
            .after
            .as_ref()
            .filter(|_| self.back.len() > 1)
            .map(|_| link(None, &[]));
        Links { prev, next, first }
    }
}

/// A capped count as a page shows it: "1,000+" when more than `shown` rows matched, else the
/// number with thousands separators.
pub(crate) fn capped(n: u32, shown: u32) -> String {
    if n > shown {
        format!("{}+", format::thousands(u64::from(shown)))
    } else {
        format::thousands(u64::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    #[test]
    fn the_first_page_links_only_forward() {
        let t = Trail::from_params(&params("sort=x"));
        let kept = vec![("sort".to_owned(), "x".to_owned())];
        let l = t.links("/l", &kept, Some("c1"));
        assert_eq!(l.next.as_deref(), Some("/l?sort=x&back=-&after=c1"));
        assert_eq!(l.prev, None);
        assert_eq!(l.first, None);
    }

    #[test]
    fn previous_goes_back_one_page_at_a_time() {
        // Page 2 (after c1): back to the first page.
        let t = Trail::from_params(&params("back=-&after=c1"));
        let l = t.links("/l", &[], Some("c2"));
        assert_eq!(l.prev.as_deref(), Some("/l"));
        assert_eq!(l.first, None, "the previous page is the first");
        assert_eq!(l.next.as_deref(), Some("/l?back=-&back=c1&after=c2"));
        // Page 3 (after c2): back to page 2, and a link to the first.
        let t = Trail::from_params(&params("back=-&back=c1&after=c2"));
        let l = t.links("/l", &[], None);
        assert_eq!(l.prev.as_deref(), Some("/l?back=-&after=c1"));
        assert_eq!(l.first.as_deref(), Some("/l"));
        assert_eq!(l.next, None);
    }

    #[test]
    fn a_trail_without_a_cursor_is_the_first_page() {
        let t = Trail::from_params(&params("back=c9"));
        assert_eq!(t, Trail::default());
    }

    #[test]
    fn counts_beyond_the_cap_read_as_plus() {
        assert_eq!(capped(1001, 1000), "1,000+");
        assert_eq!(capped(1000, 1000), "1,000");
        assert_eq!(capped(7, 1000), "7");
    }
}
