//! The rate limits of the sign-in surface, per client IP and per account.

use std::time::Duration;

use crate::rate_limit::Limit;

const MINUTE: Duration = Duration::from_secs(60);

pub const LOGIN_PER_IP: Limit = Limit {
    name: "login_ip",
    max: 30,
    window: Duration::from_secs(10 * 60),
};
pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    name: "login_account",
    max: 10,
    window: Duration::from_secs(10 * 60),
};
pub const OTP_VERIFY_PER_IP: Limit = Limit {
    name: "otp_verify_ip",
    max: 30,
    window: Duration::from_secs(10 * 60),
};
pub const OTP_RESEND_PER_IP: Limit = Limit {
    name: "otp_resend_ip",
    max: 10,
    window: Duration::from_secs(10 * 60),
};
pub const REGISTER_PER_IP: Limit = Limit {
    name: "register_ip",
    max: 10,
    window: Duration::from_secs(60 * 60),
};
pub const RESET_PER_IP: Limit = Limit {
    name: "reset_ip",
    max: 10,
    window: Duration::from_secs(60 * 60),
};
pub const RESET_PER_ACCOUNT: Limit = Limit {
    name: "reset_account",
    max: 3,
    window: Duration::from_secs(60 * 60),
};
pub const VERIFY_EMAIL_PER_IP: Limit = Limit {
    name: "verify_email_ip",
    max: 30,
    window: Duration::from_secs(10 * 60),
};
pub const REFRESH_PER_IP: Limit = Limit {
    name: "refresh_ip",
    max: 120,
    window: MINUTE,
};

/// Consecutive wrong passwords before the account locks, and for how long.
pub const LOCKOUT_THRESHOLD: i32 = 5;
pub const LOCKOUT_DURATION: Duration = Duration::from_secs(15 * 60);
