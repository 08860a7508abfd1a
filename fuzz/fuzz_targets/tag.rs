//! The tag parser: `Tag::parse_scan` on any text a scanner could produce. A tag that parses has
//! one canonical string, which parses back to the same tag, also through serde.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost_shared::tag::Tag;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tag) = Tag::parse_scan(text) else {
        return;
    };
    let canonical = tag.to_string();
    assert_eq!(Tag::parse_scan(&canonical).as_ref(), Ok(&tag));
    let json = serde_json::to_string(&tag).expect("a tag serialises");
    assert_eq!(serde_json::from_str::<Tag>(&json).ok().as_ref(), Some(&tag));
});
