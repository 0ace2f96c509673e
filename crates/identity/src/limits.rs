//! The rate limits of the sign-in surface, per client IP and per account.
//!
//! Wrong passwords are throttled where they come from, so nobody can lock an
//! account out by guessing at it: per client IP ([`LOGIN_PER_IP`]), per
//! (account, IP) pair ([`LOGIN_PER_ACCOUNT_IP`], and [`FAILURES_PER_ACCOUNT_IP`]
//! after which that pair's answers are "wrong password" whatever is typed).
//! Account-wide there is only a soft limit ([`ACCOUNT_SOFT_LOCK_THRESHOLD`]
//! failures from anywhere): after it, the right password from a place that has
//! not failed still gets in, but only with the code emailed to the owner.

use std::time::Duration;

use crate::rate_limit::Limit;

const MINUTE: Duration = Duration::from_secs(60);

pub const LOGIN_PER_IP: Limit = Limit {
    name: "login_ip",
    max: 30,
    window: Duration::from_secs(10 * 60),
};
/// Every attempt at one account from one IP (subject: `email|ip`).
pub const LOGIN_PER_ACCOUNT_IP: Limit = Limit {
    name: "login_account_ip",
    max: 10,
    window: Duration::from_secs(10 * 60),
};
/// Wrong passwords for one account from one IP; at `max` that pair is shut
/// for the window (subject: `email|ip`, also for unknown addresses, so the
/// answers cannot tell them apart).
pub const FAILURES_PER_ACCOUNT_IP: Limit = Limit {
    name: "login_fail_account_ip",
    max: 5,
    window: Duration::from_secs(15 * 60),
};
/// Invitation acceptances (each may hash a password) per IP.
pub const INVITATION_ACCEPT_PER_IP: Limit = Limit {
    name: "invitation_accept_ip",
    max: 10,
    window: Duration::from_secs(10 * 60),
};
/// Password changes per account (each verifies and hashes).
pub const PASSWORD_CHANGE_PER_ACCOUNT: Limit = Limit {
    name: "password_change_account",
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

/// Consecutive wrong passwords, from anywhere, before the account-wide soft
/// lock, and how long it lasts. While it lasts the right password alone is
/// not enough: sign-in continues with the emailed code, and the owner is told.
pub const ACCOUNT_SOFT_LOCK_THRESHOLD: i32 = 20;
pub const LOCKOUT_DURATION: Duration = Duration::from_secs(15 * 60);
