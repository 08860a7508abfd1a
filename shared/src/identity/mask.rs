//! Masking of personal data for lists (脱敏): the one place that decides how.

/// Keeps the first `keep_start` and last `keep_end` characters and replaces each one between
/// with `*`. Text too short to hide anything between the kept parts is masked completely, so
/// short or odd input never shows whole.
pub(super) fn mask_middle(text: &str, keep_start: usize, keep_end: usize) -> String {
    let length = text.chars().count();
    if length <= keep_start + keep_end {
        return "*".repeat(length);
    }
    text.chars()
        .enumerate()
        .map(|(index, c)| {
            if index < keep_start || index >= length - keep_end {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Masks a person's name for lists: the first character stays (enough to tell people apart
/// in a short list, which is its purpose), every other character becomes `*`, one `*` per
/// character: 何明 → 何*, 欧阳娜娜 → 欧***, "Li Ming" → "L******". A one-character name is
/// masked completely, since keeping its first character would show it whole.
pub fn mask_name(name: &str) -> String {
    match name.chars().count() {
        0 | 1 => "*".repeat(name.chars().count()),
        _ => mask_middle(name, 1, 0),
    }
}

/// Masks a mobile number for lists: the first three and last four digits stay, as on bank and
/// courier slips (138****0000). Shorter text is masked completely.
pub fn mask_phone(phone: &str) -> String {
    mask_middle(phone, 3, 4)
}

/// Masks an ID number for lists: the six-digit region code and the last four characters stay
/// (440115********123X); these are what staff use to match a person on the phone, the birth
/// date in between is hidden. Shorter text is masked completely.
pub fn mask_id_number(number: &str) -> String {
    mask_middle(number, 6, 4)
}
