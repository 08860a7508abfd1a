use proptest::prelude::*;

use super::*;
use crate::i18n::{Describe, Lang};

/// Upper-case alphanumerics and `-`: every character a payload is made of.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-";

fn band(serial: u32) -> WristbandId {
    WristbandId::new(serial).expect("serial in range")
}

/// The first serial from 0 whose check contains `c`.
fn serial_with_check_char(c: u8) -> u32 {
    (0..)
        .find(|&s| band(s).check().contains(&c))
        .expect("found")
}

#[test]
fn payload_has_the_fixed_shape_and_only_qr_alphanumeric_characters() {
    let payload = band(12_345).payload();
    assert_eq!(payload.len(), PAYLOAD_LEN);
    assert!(payload.starts_with("OPW1-00012345-"));
    assert!(payload.bytes().all(|b| ALPHABET.contains(&b)));
}

#[test]
fn check_is_the_start_of_crockford_base32_of_the_domain_separated_hash() {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(b"outpost-wristband-v1:00012345");
    // Crockford base32 of the digest, 5 bits at a time from the most significant bit.
    let alphabet = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits: String = digest.iter().map(|b| format!("{b:08b}")).collect();
    let expected: Vec<u8> = (0..4)
        .map(|i| alphabet[usize::from_str_radix(&bits[i * 5..i * 5 + 5], 2).expect("bits")])
        .collect();
    assert_eq!(band(12_345).check().to_vec(), expected);
}

#[test]
fn human_id_groups_the_serial_in_fours_and_ends_with_the_check() {
    let id = band(12_345);
    let check: String = id.check().iter().map(|&b| char::from(b)).collect();
    assert_eq!(id.human(), format!("0001 2345 {check}"));
}

#[test]
fn serials_past_eight_digits_are_refused() {
    assert!(WristbandId::new(MAX_SERIAL).is_ok());
    assert_eq!(
        WristbandId::new(MAX_SERIAL + 1),
        Err(WristbandError::SerialOutOfRange {
            serial: u64::from(MAX_SERIAL) + 1
        })
    );
}

#[test]
fn parsing_accepts_whitespace_and_lower_case() {
    let id = band(42);
    let sloppy = format!(" \t{}\r\n", id.payload().to_lowercase());
    assert_eq!(WristbandId::parse(&sloppy), Ok(id));
}

#[test]
fn confusable_check_characters_read_as_digits() {
    for (digit, confusables) in [(b'0', &b"Oo"[..]), (b'1', &b"IiLl"[..])] {
        let id = band(serial_with_check_char(digit));
        for &confusable in confusables {
            let payload: String = id
                .payload()
                .bytes()
                .enumerate()
                .map(|(i, b)| if i >= 14 && b == digit { confusable } else { b })
                .map(char::from)
                .collect();
            assert_eq!(WristbandId::parse(&payload), Ok(id), "{payload}");
        }
    }
}

#[test]
fn each_kind_of_bad_code_gets_its_own_error() {
    let good = band(12_345).payload();
    let cases = [
        ("   ".to_owned(), WristbandError::Empty),
        (
            good.replacen("OPW1", "OPW2", 1),
            WristbandError::WrongPrefix,
        ),
        (
            "https://example.org/x".to_owned(),
            WristbandError::WrongPrefix,
        ),
        (
            format!("{good}7"),
            WristbandError::WrongLength { length: 19 },
        ),
        (
            good[..17].to_owned(),
            WristbandError::WrongLength { length: 17 },
        ),
        (
            good.replacen("00012345", "0001234X", 1),
            WristbandError::SerialNotDigits,
        ),
        (
            format!("{}+{}", &good[..13], &good[14..]),
            WristbandError::MissingSeparator,
        ),
        (
            format!("{}U{}", &good[..14], &good[15..]),
            WristbandError::CheckNotBase32,
        ),
        (
            format!("{}-0000", &good[..13]),
            WristbandError::CheckMismatch,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(WristbandId::parse(&text), Err(expected), "{text:?}");
    }
}

#[test]
fn a_hand_made_code_for_a_real_serial_is_refused() {
    let real = band(7);
    let forged = format!(
        "OPW1-00000007-{}",
        if real.check() == *b"ZZZZ" {
            "YYYY"
        } else {
            "ZZZZ"
        }
    );
    assert_eq!(
        WristbandId::parse(&forged),
        Err(WristbandError::CheckMismatch)
    );
}

#[test]
fn every_error_explains_itself_in_chinese_and_english() {
    let errors: Vec<TagError> = vec![
        TagError::Empty,
        WristbandError::Empty.into(),
        WristbandError::WrongPrefix.into(),
        WristbandError::WrongLength { length: 3 }.into(),
        WristbandError::SerialNotDigits.into(),
        WristbandError::MissingSeparator.into(),
        WristbandError::CheckNotBase32.into(),
        WristbandError::CheckMismatch.into(),
        WristbandError::SerialOutOfRange { serial: 1 << 30 }.into(),
        ChipUidError::Empty.into(),
        ChipUidError::NotHex.into(),
        ChipUidError::OddDigits { digits: 3 }.into(),
        ChipUidError::WrongLength { bytes: 5 }.into(),
    ];
    let mut seen = std::collections::HashSet::new();
    for error in &errors {
        let zh = error.describe(Lang::Zh);
        let en = error.describe(Lang::En);
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        assert!(en.is_ascii() && !en.is_empty(), "{en}");
        assert!(seen.insert(zh), "two errors read the same in Chinese");
    }
}

#[test]
fn chip_uids_in_every_written_form_reduce_to_one_canonical_hex() {
    let forms = [
        "04A1B2C3D4E5F6",
        "04a1b2c3d4e5f6",
        "04:A1:B2:C3:D4:E5:F6",
        "04-a1-b2-c3-d4-e5-f6",
        " 04 A1 B2 C3 D4 E5 F6 \n",
        "0x04A1B2C3D4E5F6",
    ];
    for form in forms {
        let uid = ChipUid::parse(form).expect(form);
        assert_eq!(uid.hex(), "04A1B2C3D4E5F6", "{form}");
        assert_eq!(uid.as_bytes().len(), 7);
    }
    assert_eq!(
        ChipUid::parse("DEADBEEF").map(|u| u.hex()),
        Ok("DEADBEEF".to_owned())
    );
    assert!(ChipUid::parse("00112233445566778899").is_ok());
}

#[test]
fn chip_uids_of_other_lengths_or_with_other_characters_are_refused() {
    assert_eq!(ChipUid::parse(" :: "), Err(ChipUidError::Empty));
    assert_eq!(ChipUid::parse("04A1B2C3G4"), Err(ChipUidError::NotHex));
    assert_eq!(
        ChipUid::parse("04A1B2C"),
        Err(ChipUidError::OddDigits { digits: 7 })
    );
    assert_eq!(
        ChipUid::parse("04A1B2C3D4"),
        Err(ChipUidError::WrongLength { bytes: 5 })
    );
    assert_eq!(
        ChipUid::from_bytes(&[1, 2, 3]),
        Err(ChipUidError::WrongLength { bytes: 3 })
    );
    assert_eq!(ChipUid::from_bytes(&[]), Err(ChipUidError::Empty));
}

#[test]
fn a_scan_is_read_as_qr_payload_printed_id_or_chip_uid() {
    let id = band(12_345);
    let check: String = id.check().iter().map(|&b| char::from(b)).collect();
    for text in [
        id.payload(),
        id.payload().to_lowercase(),
        id.human(),
        format!("00012345{check}"),
        format!("0001 2345-{}", check.to_lowercase()),
    ] {
        assert_eq!(Tag::parse_scan(&text), Ok(Tag::Wristband(id)), "{text}");
    }
    let chip = Tag::parse_scan("nfc:04:a1:b2:c3").expect("chip");
    assert_eq!(chip.canonical(), "NFC:04A1B2C3");
    assert_eq!(Tag::parse_scan("04A1B2C3"), Ok(chip.clone()));
    assert_eq!(Tag::parse_scan(&chip.canonical()), Ok(chip));
}

#[test]
fn a_scan_that_is_neither_says_what_is_wrong() {
    assert_eq!(Tag::parse_scan(" \n"), Err(TagError::Empty));
    assert_eq!(
        Tag::parse_scan("张三 13800138000"),
        Err(TagError::Wristband(WristbandError::WrongPrefix))
    );
    assert_eq!(
        Tag::parse_scan("NFC:04A1"),
        Err(TagError::Nfc(ChipUidError::WrongLength { bytes: 2 }))
    );
    assert_eq!(
        Tag::parse_scan("0001 2345 0000").map(|_| ()),
        Tag::parse_scan("OPW1-00012345-0000").map(|_| ())
    );
}

#[test]
fn tags_serialise_as_their_canonical_string() {
    let tag = Tag::Wristband(band(9));
    let json = serde_json::to_string(&tag).expect("json");
    assert_eq!(json, format!("\"{}\"", band(9).payload()));
    assert_eq!(serde_json::from_str::<Tag>(&json).expect("back"), tag);
    assert!(serde_json::from_str::<Tag>("\"OPW1-00000009-0000\"").is_err());
}

/// The payload with character `at` replaced by `with`, and whether the parser must treat the two
/// as the same code (a confusable in the check).
fn substitute(payload: &str, at: usize, with: u8) -> (String, bool) {
    let original = payload.as_bytes()[at];
    let same = at >= 14 && canonical_check_char(original) == canonical_check_char(with);
    let mut bytes = payload.as_bytes().to_vec();
    bytes[at] = with;
    (String::from_utf8(bytes).expect("ascii"), same)
}

fn canonical_check_char(c: u8) -> u8 {
    match c {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        c => c,
    }
}

proptest! {
    #[test]
    fn every_serial_round_trips(serial in 0..=MAX_SERIAL) {
        let id = band(serial);
        prop_assert_eq!(WristbandId::parse(&id.payload()), Ok(id));
        prop_assert_eq!(WristbandId::parse(&id.payload().to_lowercase()), Ok(id));
        prop_assert_eq!(Tag::parse_scan(&id.human()), Ok(Tag::Wristband(id)));
        let tag = Tag::from(id);
        prop_assert_eq!(Tag::parse_scan(&tag.canonical()), Ok(tag));
    }

    #[test]
    fn every_chip_uid_round_trips(bytes in prop::sample::select(vec![4usize, 7, 10])
        .prop_flat_map(|n| prop::collection::vec(any::<u8>(), n)))
    {
        let tag = Tag::Nfc(ChipUid::from_bytes(&bytes).expect("length"));
        prop_assert_eq!(Tag::parse_scan(&tag.canonical()), Ok(tag.clone()));
        let colons: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        prop_assert_eq!(Tag::parse_scan(&colons.join(":")), Ok(tag));
    }

    /// A changed character in the prefix, a separator or the check is always refused. A changed
    /// serial digit is refused unless the check of the serial it now reads happens to be the same
    /// 20 bits (about one change in a million): then it is that other, real wristband, never the
    /// original one.
    #[test]
    fn every_single_character_substitution_is_rejected(
        serial in 0..=MAX_SERIAL,
        at in 0..PAYLOAD_LEN,
        with in prop::sample::select(ALPHABET.to_vec()),
    ) {
        let id = band(serial);
        let payload = id.payload();
        let (changed, same) = substitute(&payload, at, with);
        prop_assume!(changed != payload && !same);
        match WristbandId::parse(&changed) {
            Err(_) => {}
            Ok(other) => {
                prop_assert!((5..13).contains(&at), "accepted a change at {}", at);
                prop_assert_ne!(other, id);
                prop_assert_eq!(other.payload(), changed);
            }
        }
    }
}
