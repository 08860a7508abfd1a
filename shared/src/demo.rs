//! Demo people (演示数据): plausible, entirely invented persons for the demo, the benchmarks and
//! tests. Deterministic for a seed, so every run shows the same list. Every ID number carries a
//! valid GB 11643 check character and every phone number is a well-formed mainland mobile number,
//! but none belongs to a real person by design: birth years and sequence numbers are made up.

use crate::identity::resident_id_check_character;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "邓", "曹", "彭", "曾", "欧阳",
    "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "华", "建国", "文", "玲", "斌", "宇", "浩", "婷",
    "欣怡", "子轩",
];
const PHONE_PREFIXES: &[&str] = &[
    "134", "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "188", "177",
    "199",
];

/// One invented person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    pub name: String,
    pub phone: String,
    pub id_number: String,
    pub unit: String,
}

/// A small deterministic generator (SplitMix64): demo data must not depend on a random crate's
/// version to stay the same from release to release.
#[derive(Debug, Clone)]
pub struct DemoRng(u64);

impl DemoRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(index).copied().unwrap_or_default()
    }
}

/// `count` invented persons spread over `units` (jurisdiction codes); the ID region code is the
/// unit's district (its first six digits).
pub fn people(seed: u64, count: usize, units: &[&str]) -> Vec<DemoPerson> {
    let mut rng = DemoRng::new(seed);
    (0..count)
        .map(|_| {
            let unit = if units.is_empty() {
                "440115001"
            } else {
                rng.pick(units)
            };
            let mut name = rng.pick(SURNAMES).to_owned();
            name.push_str(rng.pick(GIVEN));
            if rng.below(3) == 0 {
                name.push_str(rng.pick(GIVEN));
            }
            let phone = format!("{}{:08}", rng.pick(PHONE_PREFIXES), rng.below(100_000_000));
            let region: String = unit.chars().take(6).collect();
            let body = format!(
                "{region:0<6}{:04}{:02}{:02}{:03}",
                1940 + rng.below(80),
                1 + rng.below(12),
                1 + rng.below(28),
                rng.below(1000)
            );
            let check = resident_id_check_character(&body).unwrap_or('0');
            DemoPerson {
                name,
                phone,
                id_number: format!("{body}{check}"),
                unit: unit.to_owned(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{PhoneNumber, ResidentId};

    #[test]
    fn demo_people_are_valid_and_repeatable() {
        let units = ["440115001", "440115100"];
        let first = people(7, 200, &units);
        assert_eq!(first, people(7, 200, &units));
        for person in &first {
            ResidentId::parse(&person.id_number).unwrap();
            PhoneNumber::parse(&person.phone).unwrap();
            assert!(units.contains(&person.unit.as_str()));
            assert!((2..=6).contains(&person.name.chars().count()));
        }
    }
}
