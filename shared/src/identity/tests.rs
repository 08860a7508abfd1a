use super::*;
use proptest::prelude::*;

/// The example from GB 11643-1999 itself.
const STANDARD_EXAMPLE: &str = "11010519491231002X";
const NANSHA_ID: &str = "440115199003071238";

fn id_error(raw: &str) -> IdNumberError {
    ResidentId::parse(raw).expect_err(raw)
}

#[test]
fn standard_example_parses_with_its_birth_date_region_and_sex() {
    let id = ResidentId::parse(STANDARD_EXAMPLE).unwrap();
    assert_eq!(id.as_str(), STANDARD_EXAMPLE);
    assert_eq!(id.region_code(), "110105");
    assert_eq!(id.birth_date().to_string(), "1949-12-31");
    assert_eq!(id.sex(), Sex::Female);
    assert_eq!(ResidentId::parse(NANSHA_ID).unwrap().sex(), Sex::Male);
}

#[test]
fn full_width_digits_spaces_and_lower_case_x_are_normalised() {
    let typed = " １１０１０５ 1949\u{3000}1231 002ｘ\t";
    assert_eq!(ResidentId::parse(typed).unwrap().as_str(), STANDARD_EXAMPLE);
    assert_eq!(
        ResidentId::parse("11010519491231002x").unwrap().as_str(),
        STANDARD_EXAMPLE
    );
    assert_eq!(
        ResidentId::parse("11010519491231002Ｘ").unwrap().as_str(),
        STANDARD_EXAMPLE
    );
}

#[test]
fn wrong_check_character_names_the_expected_one_in_both_languages() {
    let error = id_error("440115199003071235");
    assert_eq!(
        error,
        IdNumberError::CheckCharacterMismatch {
            expected: '8',
            found: '5'
        }
    );
    assert!(error.to_string().contains("should be 8"));
    assert!(
        error
            .describe(Lang::Zh)
            .contains("身份证号校验位错误：最后一位应为 8")
    );
}

#[test]
fn excel_scientific_notation_is_reported_as_lost_digits() {
    for mangled in ["4.40115199003071E+17", "4.40115E+17", "4.40115199003071e17"] {
        assert_eq!(id_error(mangled), IdNumberError::ExcelNumberLostDigits);
    }
    let message = IdNumberError::ExcelNumberLostDigits.describe(Lang::Zh);
    assert!(message.contains("Excel") && message.contains("文本"));
}

#[test]
fn zero_padded_number_failing_the_check_is_reported_as_lost_digits() {
    assert_eq!(
        id_error("440115198801011000"),
        IdNumberError::ExcelNumberLostDigits
    );
    // A real ID may end in 000 (one in eleven zero-padded numbers pass the check).
    assert!(ResidentId::parse("440115199003071000").is_ok());
}

#[test]
fn impossible_birth_dates_are_rejected_and_leap_days_accepted() {
    let digits = |d: &str| IdNumberError::InvalidBirthDate {
        digits: d.to_owned(),
    };
    assert_eq!(id_error("440115190002290016"), digits("19000229"));
    assert_eq!(id_error("440115199002301230"), digits("19900230"));
    assert_eq!(
        id_error("440115189912311236"),
        IdNumberError::BirthYearOutOfRange { year: 1899 }
    );
    let leap_day = ResidentId::parse("440115200002290012").unwrap();
    assert_eq!(
        (leap_day.birth_date().month, leap_day.birth_date().day),
        (2, 29)
    );
}

#[test]
fn shape_errors_say_what_is_wrong() {
    assert_eq!(id_error(" \u{3000}"), IdNumberError::Empty);
    assert_eq!(
        id_error("44011519900307123"),
        IdNumberError::WrongLength {
            expected: 18,
            found: 17
        }
    );
    assert_eq!(
        id_error("4401151990O3071238"),
        IdNumberError::InvalidCharacter {
            character: 'O',
            position: 11
        }
    );
    assert_eq!(
        id_error("X40115199003071238"),
        IdNumberError::InvalidCharacter {
            character: 'X',
            position: 1
        }
    );
    assert_eq!(
        id_error("000000199003071236"),
        IdNumberError::InvalidRegionCode {
            region: "000000".to_owned()
        }
    );
}

#[test]
fn legacy_id_converts_to_the_eighteen_character_number() {
    let legacy = LegacyResidentId::parse("110105 491231 002").unwrap();
    assert_eq!(legacy.birth_date().to_string(), "1949-12-31");
    assert_eq!(legacy.sex(), Sex::Female);
    assert_eq!(
        legacy.to_eighteen(),
        ResidentId::parse(STANDARD_EXAMPLE).unwrap()
    );
    assert!(matches!(
        LegacyResidentId::parse("11010549123100X"),
        Err(IdNumberError::InvalidCharacter { character: 'X', .. })
    ));
}

#[test]
fn documents_are_guessed_from_the_shape_of_the_number() {
    let guess = |raw| IdentityDocument::parse_guess(raw).unwrap();
    assert_eq!(guess(STANDARD_EXAMPLE).kind(), DocumentKind::ResidentId);
    assert!(matches!(
        guess("110105491231002"),
        IdentityDocument::LegacyResident(_)
    ));
    let passport = guess(" e1234５678 ");
    assert_eq!(
        (passport.kind(), passport.number()),
        (DocumentKind::Passport, "E12345678")
    );
    assert_eq!(
        IdentityDocument::parse_guess("4401151990030712"),
        Err(IdNumberError::WrongLength {
            expected: 18,
            found: 16
        }
        .into())
    );
    assert_eq!(
        IdentityDocument::parse_guess("王小明"),
        Err(DocumentError::Unrecognised)
    );
    assert_eq!(
        IdentityDocument::parse_guess("  "),
        Err(DocumentError::EmptyNumber)
    );
}

#[test]
fn passports_and_permits_in_one_id_column_are_read_as_what_they_are() {
    let kind = |raw| {
        let document = IdentityDocument::parse_guess(raw).expect(raw);
        (document.kind(), document.number().to_owned())
    };
    let passport = |number: &str| (DocumentKind::Passport, number.to_owned());
    // Chinese passports, old and new, and foreign ones (a Taiwan passport has 9 digits).
    assert_eq!(kind("E12345678"), passport("E12345678"));
    assert_eq!(kind("ea1234567"), passport("EA1234567"));
    assert_eq!(kind("G12345678"), passport("G12345678"));
    assert_eq!(kind("K1234567"), passport("K1234567"));
    assert_eq!(kind("830000000"), passport("830000000"));
    // 港澳居民来往内地通行证 (H… for Hong Kong, M… for Macao), 台胞证 new and old, 永居证.
    let permit = (DocumentKind::HongKongMacaoPermit, "H12345678".to_owned());
    assert_eq!(kind("h12345678"), permit);
    assert_eq!(kind("M1234567890").0, DocumentKind::HongKongMacaoPermit);
    assert_eq!(
        kind("12345678"),
        (DocumentKind::TaiwanPermit, "12345678".to_owned())
    );
    assert_eq!(
        kind("1234567890(B)"),
        (DocumentKind::TaiwanPermit, "1234567890B".to_owned())
    );
    assert_eq!(
        kind("USA310012345678").0,
        DocumentKind::ForeignPermanentResidentId
    );
    // The kind of an already normalised number, without reading it again.
    for raw in [
        "E12345678",
        "H12345678",
        "12345678",
        "1234567890(B)",
        STANDARD_EXAMPLE,
    ] {
        let document = IdentityDocument::parse_guess(raw).expect(raw);
        assert_eq!(
            DocumentKind::of_number(document.number()),
            Some(document.kind())
        );
    }
    assert_eq!(document_kind_key("id_number"), "id_number_kind");
}

#[test]
fn a_guessed_resident_id_is_still_checked_strictly() {
    // A wrong check character, a stray letter in an 18-character number, a missing digit, an
    // Excel float: all resident IDs gone wrong, never passports.
    let mut wrong = NANSHA_ID.to_owned();
    wrong.replace_range(17.., "9");
    assert!(matches!(
        IdentityDocument::parse_guess(&wrong),
        Err(DocumentError::IdNumber(
            IdNumberError::CheckCharacterMismatch { .. }
        ))
    ));
    assert!(matches!(
        IdentityDocument::parse_guess("44011519900307123A"),
        Err(DocumentError::IdNumber(IdNumberError::InvalidCharacter {
            character: 'A',
            position: 18
        }))
    ));
    assert!(matches!(
        IdentityDocument::parse_guess("44011519900307123"),
        Err(DocumentError::IdNumber(IdNumberError::WrongLength { .. }))
    ));
    assert_eq!(
        IdentityDocument::parse_guess("4.40115199003071E+17"),
        Err(IdNumberError::ExcelNumberLostDigits.into())
    );
    // A mobile number in the ID column is not a passport.
    assert_eq!(
        IdentityDocument::parse_guess("13800138000"),
        Err(DocumentError::PhoneNumberGiven)
    );
    assert!(
        DocumentError::PhoneNumberGiven
            .describe(Lang::Zh)
            .contains("手机号码")
    );
}

#[test]
fn documents_of_a_chosen_kind_are_checked_by_that_kind() {
    let permit = IdentityDocument::parse(DocumentKind::HongKongMacaoPermit, "\u{3000}Ｈ12345678 ");
    let permit = permit.unwrap();
    assert_eq!(
        (permit.number(), permit.kind()),
        ("H12345678", DocumentKind::HongKongMacaoPermit)
    );
    assert_eq!(permit.masked_number(), "H1*****78");
    assert_eq!(
        IdentityDocument::parse(DocumentKind::Passport, "E12"),
        Err(PassportError::WrongLength { found: 3 }.into())
    );
    assert_eq!(
        IdentityDocument::parse(DocumentKind::MilitaryOfficerId, " "),
        Err(DocumentError::EmptyNumber)
    );
    assert_eq!(DocumentKind::TaiwanPermit.describe(Lang::Zh), "台胞证");
    for (kind, code, _, _) in DOCUMENT_KINDS {
        assert_eq!(DocumentKind::from_code(code), Some(kind));
    }
}

#[test]
fn mobile_numbers_in_everyday_formats_parse_to_eleven_digits() {
    for typed in [
        "13800000000",
        "+86 138 0000 0000",
        "(+86)138-0000-0000",
        "（＋８６）１３８００００００００",
        "0086 13800000000",
        "8613800000000",
    ] {
        assert_eq!(
            PhoneNumber::parse(typed).unwrap().as_str(),
            "13800000000",
            "{typed}"
        );
    }
    let phone = PhoneNumber::parse("13912345678").unwrap();
    assert_eq!((phone.tail(4), phone.tail(99)), ("5678", "13912345678"));
}

#[test]
fn mobile_number_errors_say_what_is_wrong() {
    let error = |raw| PhoneNumber::parse(raw).expect_err(raw);
    assert_eq!(error("1380000000"), PhoneError::TooFewDigits { count: 10 });
    assert_eq!(
        error("+86 138000000001"),
        PhoneError::TooManyDigits { count: 12 }
    );
    assert_eq!(error("+852 6123 4567"), PhoneError::ForeignCountryCode);
    assert_eq!(
        error("020-88886666"),
        PhoneError::NotAMobilePrefix {
            prefix: "02".to_owned()
        }
    );
    assert_eq!(
        error("138 0000 000o"),
        PhoneError::InvalidCharacter { character: 'o' }
    );
    assert_eq!(
        error("138+00000000"),
        PhoneError::InvalidCharacter { character: '+' }
    );
    assert_eq!(error(""), PhoneError::Empty);
    assert!(error("1380000000").describe(Lang::Zh).contains("只有10位"));
}

#[test]
fn masks_keep_only_what_lists_need() {
    assert_eq!(mask_name("何明"), "何*");
    assert_eq!(mask_name("欧阳娜娜"), "欧***");
    assert_eq!(mask_name("Li Ming"), "L******");
    assert_eq!(mask_phone("13800000000"), "138****0000");
    assert_eq!(mask_id_number("44011519900307123X"), "440115********123X");
    for short in ["", "何", "138", "4401151"] {
        assert!(!mask_name(short).contains(short) || short.is_empty());
        assert!(mask_phone(short).chars().all(|c| c == '*'));
        assert!(mask_id_number(short).chars().all(|c| c == '*'));
    }
}

#[test]
fn debug_output_is_masked_and_serde_validates() {
    let id = ResidentId::parse(NANSHA_ID).unwrap();
    assert!(!format!("{id:?}").contains(NANSHA_ID));
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{NANSHA_ID}\""));
    assert_eq!(serde_json::from_str::<ResidentId>(&json).unwrap(), id);
    assert!(serde_json::from_str::<ResidentId>("\"440115199003071235\"").is_err());
}

/// A valid 17-digit body: any region but 000000, a real date, any sequence number.
fn valid_body() -> impl Strategy<Value = String> {
    (
        1..=999_999u32,
        1900..=2100u16,
        1..=12u8,
        1..=31u8,
        0..=999u16,
    )
        .prop_map(|(region, year, month, day, sequence)| {
            let day = day.min(days_in_month(year, month));
            format!("{region:06}{year:04}{month:02}{day:02}{sequence:03}")
        })
}

fn valid_id() -> impl Strategy<Value = String> {
    valid_body().prop_map(|body| {
        let check = resident_id_check_character(&body).unwrap();
        format!("{body}{check}")
    })
}

fn full_width(c: char) -> char {
    char::from_u32(u32::from(c) + 0xFEE0).unwrap()
}

proptest! {
    #[test]
    fn any_body_with_its_check_character_parses(id in valid_id()) {
        prop_assert_eq!(ResidentId::parse(&id).unwrap().to_string(), id);
    }

    #[test]
    fn typing_variants_parse_to_the_same_id(
        id in valid_id(),
        styles in proptest::collection::vec(0..4u8, 18),
    ) {
        let typed: String = id.chars().zip(styles).map(|(c, style)| match style {
            0 => c.to_string(),
            1 => full_width(c).to_string(),
            2 => format!(" {}", c.to_ascii_lowercase()),
            _ => format!("\u{3000}{c}"),
        }).collect();
        prop_assert_eq!(ResidentId::parse(&typed).unwrap().to_string(), id);
    }

    #[test]
    fn changing_any_single_character_is_rejected(
        id in valid_id(),
        position in 0..18usize,
        shift in 1..=10u8,
    ) {
        let mut characters: Vec<char> = id.chars().collect();
        characters[position] = if position == 17 {
            let index = CHECK_CHARACTERS.iter().position(|&c| c == characters[17]).unwrap();
            CHECK_CHARACTERS[(index + usize::from(shift)) % 11]
        } else {
            let digit = characters[position].to_digit(10).unwrap();
            char::from_digit((digit + u32::from(shift.min(9))) % 10, 10).unwrap()
        };
        let changed: String = characters.into_iter().collect();
        prop_assert!(ResidentId::parse(&changed).is_err(), "{} accepted", changed);
    }

    #[test]
    fn mobile_formats_round_trip(
        second in 3..=9u8,
        rest in 0..=999_999_999u32,
        prefix in prop::sample::select(vec!["", "+86", "+86 ", "0086", "86", "(+86) ", "（００８６）"]),
        separator in prop::sample::select(vec!["", " ", "-", "－"]),
    ) {
        let number = format!("1{second}{rest:09}");
        let typed = format!("{prefix}{}{separator}{}{separator}{}",
            &number[..3], &number[3..7], &number[7..]);
        let phone = PhoneNumber::parse(&typed).unwrap();
        prop_assert_eq!(phone.as_str(), number.as_str());
        prop_assert_eq!(PhoneNumber::parse(phone.as_str()).unwrap(), phone);
    }
}
