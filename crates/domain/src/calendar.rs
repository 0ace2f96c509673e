//! The shop's calendar: one time zone (`SHOP_TIMEZONE`, Asia/Jakarta unless
//! configured) in which "today", expiry dates and the times in messages are
//! reckoned, whatever the server's own zone; day and billing-period
//! arithmetic that keeps the customer's anchor day; and the [`Clock`] that
//! code needing "now" takes, so tests can move time instead of depending on
//! the date they happen to run on.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone a shop runs in when `SHOP_TIMEZONE` is not set (seed 000: WIB).
pub const DEFAULT_SHOP_TIMEZONE: &str = "Asia/Jakarta";

/// `SHOP_TIMEZONE` is not an IANA zone name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IANA time zone name (e.g. Asia/Jakarta, Asia/Makassar)")]
pub struct UnknownTimeZone(pub String);

/// The shop's time zone and what follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShopCalendar {
    zone: Tz,
}

impl Default for ShopCalendar {
    fn default() -> Self {
        Self {
            zone: Tz::Asia__Jakarta,
        }
    }
}

impl FromStr for ShopCalendar {
    type Err = UnknownTimeZone;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::new(name)
    }
}

impl ShopCalendar {
    /// A calendar in the IANA zone `name` (case as in the database).
    pub fn new(name: &str) -> Result<Self, UnknownTimeZone> {
        name.trim()
            .parse::<Tz>()
            .map(|zone| Self { zone })
            .map_err(|_| UnknownTimeZone(name.to_owned()))
    }

    /// The IANA name, as PostgreSQL's `AT TIME ZONE` takes it.
    pub fn zone_name(&self) -> &'static str {
        self.zone.name()
    }

    /// The shop's calendar day at the instant `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.zone).date_naive()
    }

    /// The shop's wall clock for a message: `02/12/2026 17:05 WIB`.
    pub fn local_time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone)
            .format("%d/%m/%Y %H:%M %Z")
            .to_string()
    }

    /// The instant the shop's day `date` begins: midnight in the shop's
    /// zone (the first instant after the gap when a clock change skips it).
    pub fn start_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        match self.zone.from_local_datetime(&midnight).earliest() {
            Some(local) => local.with_timezone(&Utc),
            None => self
                .zone
                .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
                .map_or_else(|| midnight.and_utc(), |local| local.with_timezone(&Utc)),
        }
    }
}

/// `date` plus `days` (negative goes back); `None` past the calendar's end.
pub fn add_days(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    let magnitude = Days::new(days.unsigned_abs());
    if days >= 0 {
        date.checked_add_days(magnitude)
    } else {
        date.checked_sub_days(magnitude)
    }
}

/// How often a service is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingPeriod {
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
}

impl BillingPeriod {
    pub fn months(self) -> u32 {
        match self {
            BillingPeriod::Monthly => 1,
            BillingPeriod::Quarterly => 3,
            BillingPeriod::SemiAnnual => 6,
            BillingPeriod::Annual => 12,
        }
    }

    /// The due date one period after `current`, on the `anchor_day` of the
    /// month (the day of month the service started on) or the month's last
    /// day when it is shorter: anchored on the 31st, 31 Jan → 28/29 Feb →
    /// 31 Mar. Keeping the anchor apart from `current` is what brings the
    /// 31st back after a short month; `None` past the calendar's end.
    pub fn next_due(self, current: NaiveDate, anchor_day: u32) -> Option<NaiveDate> {
        let first = current
            .with_day(1)?
            .checked_add_months(Months::new(self.months()))?;
        let last_day = first.checked_add_months(Months::new(1))?.pred_opt()?.day();
        first.with_day(anchor_day.clamp(1, last_day))
    }

    /// The due date one period before `current`, by the same anchor rule:
    /// anchored on the 31st, 31 Mar → 28/29 Feb. It is where the period
    /// that ends on `current` began.
    pub fn previous_due(self, current: NaiveDate, anchor_day: u32) -> Option<NaiveDate> {
        let first = current
            .with_day(1)?
            .checked_sub_months(Months::new(self.months()))?;
        let last_day = first.checked_add_months(Months::new(1))?.pred_opt()?.day();
        first.with_day(anchor_day.clamp(1, last_day))
    }
}

impl fmt::Display for BillingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BillingPeriod::Monthly => "monthly",
            BillingPeriod::Quarterly => "quarterly",
            BillingPeriod::SemiAnnual => "semi_annual",
            BillingPeriod::Annual => "annual",
        })
    }
}

/// "Now" and the shop's calendar, injected wherever code needs either: the
/// system clock in the server, a clock a test sets and moves in tests.
/// Cheap to clone; clones of a manual clock move together.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    calendar: ShopCalendar,
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock in the shop's calendar.
    pub fn system(calendar: ShopCalendar) -> Self {
        Self {
            calendar,
            manual: None,
        }
    }

    /// A clock that stands at `at` until [`Clock::set`] or
    /// [`Clock::advance`] moves it.
    pub fn manual(calendar: ShopCalendar, at: DateTime<Utc>) -> Self {
        Self {
            calendar,
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    pub fn calendar(&self) -> ShopCalendar {
        self.calendar
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(at) => *at.lock().unwrap_or_else(PoisonError::into_inner),
            None => Utc::now(),
        }
    }

    /// Today in the shop.
    pub fn today(&self) -> NaiveDate {
        self.calendar.today(self.now())
    }

    /// The shop's wall clock at `at`, for messages.
    pub fn local_time(&self, at: DateTime<Utc>) -> String {
        self.calendar.local_time(at)
    }

    /// Moves a manual clock to `at`; the system clock cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(now) = &self.manual {
            *now.lock().unwrap_or_else(PoisonError::into_inner) = at;
        }
    }

    /// Moves a manual clock forward (or back, with a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        if let Some(now) = &self.manual {
            let mut now = now.lock().unwrap_or_else(PoisonError::into_inner);
            *now += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
    }

    #[test]
    fn the_previous_due_date_keeps_the_anchor_day() {
        let monthly = BillingPeriod::Monthly;
        assert_eq!(
            monthly.previous_due(day(2027, 3, 31), 31),
            Some(day(2027, 2, 28))
        );
        assert_eq!(
            monthly.previous_due(day(2028, 3, 31), 31),
            Some(day(2028, 2, 29))
        );
        assert_eq!(
            monthly.previous_due(day(2027, 2, 28), 31),
            Some(day(2027, 1, 31))
        );
        assert_eq!(
            BillingPeriod::Annual.previous_due(day(2028, 2, 29), 29),
            Some(day(2027, 2, 28))
        );
        // Going back and forth by one period lands where it started.
        for anchor in 1..=31 {
            let mut due = day(2027, 1, anchor.min(31));
            for _ in 0..30 {
                let next = monthly.next_due(due, anchor).expect("a date a month on");
                assert_eq!(
                    monthly.previous_due(next, anchor),
                    Some(due),
                    "{due} anchor {anchor}"
                );
                due = next;
            }
        }
    }

    fn instant(text: &str) -> DateTime<Utc> {
        text.parse().expect("an RFC 3339 instant")
    }

    #[test]
    fn a_shop_day_starts_at_midnight_in_the_shops_zone() {
        // Any day will do: the answer is that day's midnight less the
        // zone's offset (WIB +7, WIT +9; neither has summer time).
        let any = day(2031, 3, 1);
        let utc_midnight = any.and_time(chrono::NaiveTime::MIN).and_utc();
        let jakarta = ShopCalendar::default();
        assert_eq!(
            jakarta.start_of_day(any),
            utc_midnight - chrono::Duration::hours(7)
        );
        let jayapura = ShopCalendar::new("Asia/Jayapura").expect("an IANA zone");
        assert_eq!(
            jayapura.start_of_day(any),
            utc_midnight - chrono::Duration::hours(9)
        );
        assert_eq!(jakarta.today(jakarta.start_of_day(any)), any);
        assert_eq!(
            jakarta.today(jakarta.start_of_day(any) - chrono::Duration::seconds(1)),
            any.pred_opt().expect("a day before")
        );
    }

    #[test]
    fn today_is_the_shops_day_not_the_servers() {
        let jakarta = ShopCalendar::default();
        // 17:30 UTC is already 00:30 the next day in Jakarta (UTC+7).
        assert_eq!(
            jakarta.today(instant("2026-12-02T17:30:00Z")),
            day(2026, 12, 3)
        );
        assert_eq!(
            jakarta.today(instant("2026-12-02T16:59:59Z")),
            day(2026, 12, 2)
        );
        let jayapura = ShopCalendar::new("Asia/Jayapura").expect("valid in this test");
        assert_eq!(
            jayapura.today(instant("2026-12-02T15:00:00Z")),
            day(2026, 12, 3)
        );
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert_eq!(
            ShopCalendar::new("Mars/Olympus"),
            Err(UnknownTimeZone("Mars/Olympus".to_owned()))
        );
        assert!(ShopCalendar::new("").is_err());
        assert_eq!(
            ShopCalendar::new("Asia/Makassar")
                .expect("valid in this test")
                .zone_name(),
            "Asia/Makassar"
        );
        assert_eq!(ShopCalendar::default().zone_name(), DEFAULT_SHOP_TIMEZONE);
    }

    #[test]
    fn messages_show_the_shops_wall_clock_and_zone() {
        let at = instant("2026-12-02T10:05:00Z");
        assert_eq!(
            ShopCalendar::default().local_time(at),
            "02/12/2026 17:05 WIB"
        );
        assert_eq!(
            ShopCalendar::new("Asia/Makassar")
                .expect("valid in this test")
                .local_time(at),
            "02/12/2026 18:05 WITA"
        );
    }

    #[test]
    fn days_add_and_subtract_across_months_and_years() {
        assert_eq!(add_days(day(2026, 12, 30), 3), Some(day(2027, 1, 2)));
        assert_eq!(add_days(day(2028, 3, 1), -1), Some(day(2028, 2, 29)));
        assert_eq!(add_days(day(2026, 1, 1), 0), Some(day(2026, 1, 1)));
        assert_eq!(add_days(NaiveDate::MAX, 1), None);
    }

    #[test]
    fn a_month_keeps_the_anchor_day_through_short_months() {
        let monthly = BillingPeriod::Monthly;
        let feb = monthly
            .next_due(day(2027, 1, 31), 31)
            .expect("valid in this test");
        assert_eq!(feb, day(2027, 2, 28));
        assert_eq!(monthly.next_due(feb, 31), Some(day(2027, 3, 31)));
        assert_eq!(
            monthly.next_due(day(2028, 1, 31), 31),
            Some(day(2028, 2, 29))
        );
        assert_eq!(
            monthly.next_due(day(2027, 3, 31), 31),
            Some(day(2027, 4, 30))
        );
        assert_eq!(
            monthly.next_due(day(2027, 4, 30), 31),
            Some(day(2027, 5, 31))
        );
        assert_eq!(
            monthly.next_due(day(2027, 12, 15), 15),
            Some(day(2028, 1, 15))
        );
        // Anchored on the 30th: February takes its last day, March the 30th.
        assert_eq!(
            monthly.next_due(day(2027, 2, 28), 30),
            Some(day(2027, 3, 30))
        );
    }

    #[test]
    fn longer_periods_keep_the_anchor_day_too() {
        assert_eq!(
            BillingPeriod::Quarterly.next_due(day(2026, 11, 30), 30),
            Some(day(2027, 2, 28))
        );
        assert_eq!(
            BillingPeriod::Quarterly.next_due(day(2027, 2, 28), 30),
            Some(day(2027, 5, 30))
        );
        assert_eq!(
            BillingPeriod::SemiAnnual.next_due(day(2026, 8, 31), 31),
            Some(day(2027, 2, 28))
        );
        assert_eq!(
            BillingPeriod::Annual.next_due(day(2028, 2, 29), 29),
            Some(day(2029, 2, 28))
        );
        assert_eq!(
            BillingPeriod::Annual.next_due(day(2029, 2, 28), 29),
            Some(day(2030, 2, 28))
        );
        assert_eq!(BillingPeriod::Monthly.next_due(NaiveDate::MAX, 31), None);
    }

    #[test]
    fn a_manual_clock_moves_when_told_and_its_clones_follow() {
        let clock = Clock::manual(ShopCalendar::default(), instant("2026-12-02T16:00:00Z"));
        let copy = clock.clone();
        assert_eq!(copy.today(), day(2026, 12, 2));
        clock.advance(chrono::Duration::hours(1));
        assert_eq!(copy.today(), day(2026, 12, 3), "midnight in Jakarta");
        clock.set(instant("2027-01-31T00:00:00Z"));
        assert_eq!(copy.now(), instant("2027-01-31T00:00:00Z"));
        // The system clock ignores attempts to move it.
        let system = Clock::system(ShopCalendar::default());
        system.set(instant("2000-01-01T00:00:00Z"));
        assert!(system.now() > instant("2026-01-01T00:00:00Z"));
    }
}
