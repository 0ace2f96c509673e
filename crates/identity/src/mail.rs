//! The emails identity sends. Indonesian first, English below, until the
//! notifications feature makes them editable templates.

use domain::Email;
use notify::OutgoingEmail;

fn email(to: &Email, subject: &str, text: String, html: String) -> OutgoingEmail {
    OutgoingEmail { to: to.clone(), subject: subject.to_owned(), text, html }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn verification(to: &Email, name: &str, code: &str, link: &str) -> OutgoingEmail {
    let (name_html, link_html) = (escape(name), escape(link));
    email(
        to,
        "Verifikasi email Juragan / Verify your email",
        format!(
            "Halo {name},\n\nKode verifikasi Anda: {code}\nAtau buka: {link}\nKode berlaku 30 menit.\n\n\
             Your verification code: {code}\nOr open: {link}\nThe code is valid for 30 minutes.\n"
        ),
        format!(
            "<p>Halo {name_html},</p><p>Kode verifikasi Anda: <strong style=\"font-size:20px\">{code}</strong></p>\
             <p><a href=\"{link_html}\">Verifikasi email</a> — kode berlaku 30 menit.</p>\
             <p style=\"color:#666\">Your verification code is {code}. <a href=\"{link_html}\">Verify your email</a>.</p>"
        ),
    )
}

pub fn login_code(to: &Email, code: &str) -> OutgoingEmail {
    email(
        to,
        "Kode masuk Juragan / Sign-in code",
        format!(
            "Kode masuk Anda: {code}\nBerlaku 5 menit. Abaikan email ini jika Anda tidak sedang masuk.\n\n\
             Your sign-in code: {code}\nValid for 5 minutes. Ignore this email if you are not signing in.\n"
        ),
        format!(
            "<p>Kode masuk Anda: <strong style=\"font-size:20px\">{code}</strong></p><p>Berlaku 5 menit. \
             Abaikan email ini jika Anda tidak sedang masuk.</p><p style=\"color:#666\">Your sign-in code is {code} (valid 5 minutes).</p>"
        ),
    )
}

pub fn settings_code(to: &Email, code: &str) -> OutgoingEmail {
    email(
        to,
        "Konfirmasi perubahan keamanan / Confirm a security change",
        format!("Kode konfirmasi: {code}\nBerlaku 5 menit.\n\nConfirmation code: {code}\nValid for 5 minutes.\n"),
        format!("<p>Kode konfirmasi perubahan keamanan: <strong style=\"font-size:20px\">{code}</strong></p><p style=\"color:#666\">Confirmation code: {code} (valid 5 minutes).</p>"),
    )
}

pub fn password_reset(to: &Email, link: &str) -> OutgoingEmail {
    let link_html = escape(link);
    email(
        to,
        "Atur ulang kata sandi / Reset your password",
        format!("Buka tautan ini dalam 1 jam untuk mengatur ulang kata sandi:\n{link}\n\nOpen this link within 1 hour to reset your password:\n{link}\n"),
        format!("<p><a href=\"{link_html}\">Atur ulang kata sandi</a> (berlaku 1 jam).</p><p style=\"color:#666\"><a href=\"{link_html}\">Reset your password</a> (valid 1 hour).</p>"),
    )
}

pub fn account_locked(to: &Email, minutes: u64) -> OutgoingEmail {
    email(
        to,
        "Akun Anda dikunci sementara / Account temporarily locked",
        format!(
            "Ada beberapa percobaan masuk yang gagal ke akun Anda, jadi akun dikunci {minutes} menit. \
             Jika itu bukan Anda, atur ulang kata sandi.\n\nSeveral failed sign-ins: your account is locked for {minutes} minutes. \
             If it was not you, reset your password.\n"
        ),
        format!(
            "<p>Ada beberapa percobaan masuk yang gagal ke akun Anda, jadi akun dikunci {minutes} menit. Jika itu bukan Anda, atur ulang kata sandi.</p>\
             <p style=\"color:#666\">Several failed sign-ins: your account is locked for {minutes} minutes.</p>"
        ),
    )
}

pub fn staff_invitation(to: &Email, name: &str, link: &str) -> OutgoingEmail {
    let (name_html, link_html) = (escape(name), escape(link));
    email(
        to,
        "Undangan staf Juragan / Staff invitation",
        format!("Halo {name},\n\nAnda diundang sebagai staf Juragan. Buka tautan ini dalam 7 hari:\n{link}\n\nYou are invited to join Juragan's staff:\n{link}\n"),
        format!("<p>Halo {name_html},</p><p>Anda diundang sebagai staf Juragan. <a href=\"{link_html}\">Terima undangan</a> (berlaku 7 hari).</p><p style=\"color:#666\"><a href=\"{link_html}\">Accept the invitation</a>.</p>"),
    )
}
