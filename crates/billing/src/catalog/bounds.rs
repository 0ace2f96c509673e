//! The catalog's field limits, named once: validation uses them and the API
//! writes them into the OpenAPI schema, from which the SPA's are generated.

use std::ops::RangeInclusive;

pub const NAME_MAX_CHARS: usize = 120;
pub const SLUG_MAX_CHARS: usize = 80;
pub const SUMMARY_MAX_CHARS: usize = 300;
pub const DESCRIPTION_MAX_CHARS: usize = 20_000;
pub const TERMS_MAX_CHARS: usize = 10_000;
pub const CODE_MAX_CHARS: usize = 40;
pub const TEMPLATE_CODE_MAX_CHARS: usize = 60;
pub const LIST_NAME_MAX_CHARS: usize = 80;
pub const SORT_ORDER: RangeInclusive<i64> = -100_000..=100_000;

/// A price above a trillion minor units (Rp 1 T, US$ 10 bn) is a typo.
pub const PRICE_MAX_MINOR: i64 = 1_000_000_000_000;
pub const PRICE_MINOR: RangeInclusive<i64> = 0..=PRICE_MAX_MINOR;

pub const CORES: RangeInclusive<i64> = 1..=256;
pub const RAM_MB: RangeInclusive<i64> = 128..=4_194_304;
pub const DISK_GB: RangeInclusive<i64> = 1..=65_536;
pub const RATE_LIMIT_MBPS: RangeInclusive<i64> = 1..=100_000;
pub const HOSTING_DISK_MB: RangeInclusive<i64> = 1..=10_485_760;
pub const BANDWIDTH_GB: RangeInclusive<i64> = 1..=1_000_000;
pub const ADDON_DOMAINS: RangeInclusive<i64> = 0..=1_000;
pub const QUOTA_MB: RangeInclusive<i64> = 1..=10_485_760;
pub const VALIDITY_DAYS: RangeInclusive<i64> = 1..=366;
pub const SPEED_MBPS: RangeInclusive<i64> = 1..=100_000;
pub const PROFILE_MAX_CHARS: usize = 64;

/// Items of one stock upload, and the length of one item.
pub const STOCK_ITEMS_PER_UPLOAD: usize = 10_000;
pub const STOCK_ITEM_MAX_CHARS: usize = 2_000;
