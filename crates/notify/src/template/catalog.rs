//! The events that send messages, the placeholders each one offers, and the
//! built-in texts (Indonesian and English) an owner starts editing from.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Id,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Id, Language::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Id => "id",
            Language::En => "en",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|language| language.as_str() == value)
    }
}

/// A `{placeholder}` an event fills in.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Placeholder {
    pub name: &'static str,
    /// A template must use every required placeholder.
    pub required: bool,
    pub description: &'static str,
    /// What the preview fills in.
    pub sample: &'static str,
}

pub struct EventDefinition {
    pub key: &'static str,
    pub description: &'static str,
    pub placeholders: &'static [Placeholder],
    /// (subject, body) per language.
    pub defaults: [(&'static str, &'static str); 2],
}

impl EventDefinition {
    pub fn default_text(&self, language: Language) -> (&'static str, &'static str) {
        match language {
            Language::Id => self.defaults[0],
            Language::En => self.defaults[1],
        }
    }
}

const fn required(
    name: &'static str,
    description: &'static str,
    sample: &'static str,
) -> Placeholder {
    Placeholder {
        name,
        required: true,
        description,
        sample,
    }
}

const fn optional(
    name: &'static str,
    description: &'static str,
    sample: &'static str,
) -> Placeholder {
    Placeholder {
        name,
        required: false,
        description,
        sample,
    }
}

const NAME: Placeholder = optional("name", "the recipient's name", "Budi Santoso");
const CODE: Placeholder = required("code", "the 6-digit code", "482913");
const HOST_NAME: Placeholder = required("name", "the monitored host's name", "VPS-SG-01");
const HOST: Placeholder = required("host", "address and port", "103.28.12.7:3389");

pub const VERIFY_EMAIL: &str = "auth.verify_email";
pub const LOGIN_CODE: &str = "auth.login_code";
pub const SETTINGS_CODE: &str = "auth.settings_code";
pub const PASSWORD_RESET: &str = "auth.password_reset";
pub const ACCOUNT_LOCKED: &str = "auth.account_locked";
pub const ACCOUNT_EXISTS: &str = "auth.account_exists";
pub const STAFF_INVITATION: &str = "staff.invitation";
pub const TELEGRAM_LINKED: &str = "telegram.linked";
pub const HOST_DOWN: &str = "monitoring.host_down";
pub const HOST_UP: &str = "monitoring.host_up";
pub const HOSTS_DOWN: &str = "monitoring.hosts_down";
pub const HOST_EXPIRED: &str = "monitoring.host_expired";
pub const HOST_EXPIRING: &str = "monitoring.host_expiring";
pub const HOSTS_EXPIRED: &str = "monitoring.hosts_expired";
pub const HOSTS_EXPIRING: &str = "monitoring.hosts_expiring";
pub const CHECKER_OFFLINE: &str = "monitoring.checker_offline";
pub const INVOICE_CREATED: &str = "billing.invoice_created";
pub const PAYMENT_RECEIVED: &str = "billing.payment_received";
pub const PAYMENT_FAILED: &str = "billing.payment_failed";
pub const ITEM_DELIVERED: &str = "billing.item_delivered";
pub const STAFF_NEW_ORDER: &str = "billing.staff_new_order";
pub const STAFF_PAYMENT_RECEIVED: &str = "billing.staff_payment_received";
pub const SERVICE_READY: &str = "provisioning.service_ready";
pub const SERVICE_ACTION_CODE: &str = "provisioning.action_code";
pub const RENEWAL_INVOICE: &str = "billing.renewal_invoice";
pub const RENEWAL_DUE_SOON: &str = "billing.renewal_due_soon";
pub const RENEWAL_DUE_TODAY: &str = "billing.renewal_due_today";
pub const RENEWAL_OVERDUE: &str = "billing.renewal_overdue";
pub const SERVICE_SUSPENDED: &str = "billing.service_suspended";
pub const SERVICE_TERMINATED: &str = "billing.service_terminated";

const INVOICE_NUMBER: Placeholder = required("number", "the invoice number", "INV-2026-000123");
const SERVICE: Placeholder = required("service", "the service", "VPS Cloud 2 GB");
const RENEWAL_TOTAL: Placeholder = required("total", "the amount to pay", "Rp 165.000");
const DUE_DATE: Placeholder = required("due", "the due date (shop calendar)", "06/12/2026");

pub static EVENTS: &[EventDefinition] = &[
    EventDefinition {
        key: VERIFY_EMAIL,
        description: "A new client confirms their email address",
        placeholders: &[
            NAME,
            CODE,
            required(
                "link",
                "the verification link",
                "https://toko.example.id/verify-email?email=budi%40example.id&code=482913",
            ),
        ],
        defaults: [
            (
                "Verifikasi email Juragan",
                "Halo {name},\n\nKode verifikasi Anda: {code}\nAtau buka tautan ini: {link}\n\nKode berlaku 30 menit.",
            ),
            (
                "Verify your Juragan email",
                "Hello {name},\n\nYour verification code: {code}\nOr open this link: {link}\n\nThe code is valid for 30 minutes.",
            ),
        ],
    },
    EventDefinition {
        key: LOGIN_CODE,
        description: "The second sign-in step sends a one-time code",
        placeholders: &[NAME, CODE],
        defaults: [
            (
                "Kode masuk Juragan",
                "Kode masuk Anda: {code}\nBerlaku 5 menit. Abaikan email ini jika Anda tidak sedang masuk.",
            ),
            (
                "Your Juragan sign-in code",
                "Your sign-in code: {code}\nValid for 5 minutes. Ignore this email if you are not signing in.",
            ),
        ],
    },
    EventDefinition {
        key: SETTINGS_CODE,
        description: "A change of the two-factor setting is confirmed with a code",
        placeholders: &[NAME, CODE],
        defaults: [
            (
                "Konfirmasi perubahan keamanan Juragan",
                "Kode konfirmasi perubahan keamanan: {code}\nBerlaku 5 menit.",
            ),
            (
                "Confirm a Juragan security change",
                "Confirmation code for your security change: {code}\nValid for 5 minutes.",
            ),
        ],
    },
    EventDefinition {
        key: PASSWORD_RESET,
        description: "Someone asked to reset a forgotten password",
        placeholders: &[
            NAME,
            required(
                "link",
                "the reset link (valid 1 hour)",
                "https://toko.example.id/reset-password?token=abc123",
            ),
        ],
        defaults: [
            (
                "Atur ulang kata sandi Juragan",
                "Buka tautan ini dalam 1 jam untuk mengatur ulang kata sandi:\n{link}\n\nAbaikan email ini jika Anda tidak memintanya.",
            ),
            (
                "Reset your Juragan password",
                "Open this link within 1 hour to reset your password:\n{link}\n\nIgnore this email if you did not ask for it.",
            ),
        ],
    },
    EventDefinition {
        key: ACCOUNT_LOCKED,
        description: "Repeated wrong passwords locked an account",
        placeholders: &[NAME, required("minutes", "how long the lock lasts", "15")],
        defaults: [
            (
                "Akun Juragan Anda dikunci sementara",
                "Ada banyak percobaan masuk yang gagal ke akun Anda, jadi akun dikunci {minutes} menit: selama itu, masuk memerlukan kata sandi dan kode yang dikirim ke email ini.\nJika itu bukan Anda, atur ulang kata sandi.",
            ),
            (
                "Your Juragan account is temporarily locked",
                "Many sign-ins to your account failed, so it is locked for {minutes} minutes: until then, signing in needs your password and a code sent to this address.\nIf it was not you, reset your password.",
            ),
        ],
    },
    EventDefinition {
        key: ACCOUNT_EXISTS,
        description: "Someone tried to register an address that already has an account",
        placeholders: &[
            NAME,
            required("link", "the sign-in page", "https://toko.example.id/login"),
            required(
                "reset_link",
                "the forgotten-password page",
                "https://toko.example.id/forgot-password",
            ),
        ],
        defaults: [
            (
                "Anda sudah punya akun Juragan",
                "Halo {name},\n\nSeseorang mencoba mendaftar di Juragan dengan alamat email ini, tetapi alamat ini sudah punya akun.\nMasuk di sini: {link}\nLupa kata sandi? {reset_link}\n\nJika itu bukan Anda, abaikan email ini: tidak ada yang berubah.",
            ),
            (
                "You already have a Juragan account",
                "Hello {name},\n\nSomeone tried to register at Juragan with this email address, but it already has an account.\nSign in here: {link}\nForgot your password? {reset_link}\n\nIf it was not you, ignore this email: nothing has changed.",
            ),
        ],
    },
    EventDefinition {
        key: STAFF_INVITATION,
        description: "The owner invites a staff member",
        placeholders: &[
            NAME,
            required(
                "link",
                "the invitation link (valid 7 days)",
                "https://toko.example.id/accept-invitation?token=abc123",
            ),
        ],
        defaults: [
            (
                "Undangan staf Juragan",
                "Halo {name},\n\nAnda diundang sebagai staf Juragan. Buka tautan ini dalam 7 hari:\n{link}",
            ),
            (
                "Juragan staff invitation",
                "Hello {name},\n\nYou are invited to join Juragan's staff. Open this link within 7 days:\n{link}",
            ),
        ],
    },
    EventDefinition {
        key: TELEGRAM_LINKED,
        description: "A client linked their Telegram account (sent to that chat)",
        placeholders: &[NAME],
        defaults: [
            (
                "Telegram terhubung",
                "Halo {name}, akun Telegram ini sekarang terhubung ke akun Juragan Anda. Notifikasi akan dikirim ke sini.",
            ),
            (
                "Telegram linked",
                "Hello {name}, this Telegram account is now linked to your Juragan account. Notifications will arrive here.",
            ),
        ],
    },
    EventDefinition {
        key: HOST_DOWN,
        description: "A monitored host stopped answering (staff chats, and the linked customer by email)",
        placeholders: &[
            HOST_NAME,
            HOST,
            optional("since", "when it went down", "23/11/2026 14:05 WIB"),
            optional("error", "why the check failed", "connection refused"),
        ],
        defaults: [
            (
                "🔴 DOWN: {name}",
                "{name} ({host}) tidak dapat dihubungi sejak {since}.\nPenyebab: {error}",
            ),
            (
                "🔴 DOWN: {name}",
                "{name} ({host}) has been unreachable since {since}.\nReason: {error}",
            ),
        ],
    },
    EventDefinition {
        key: HOST_UP,
        description: "A monitored host answers again",
        placeholders: &[
            HOST_NAME,
            HOST,
            optional("downtime", "how long it was down", "12 menit"),
        ],
        defaults: [
            (
                "🟢 UP: {name}",
                "{name} ({host}) kembali normal setelah down {downtime}.",
            ),
            (
                "🟢 UP: {name}",
                "{name} ({host}) is back after {downtime} down.",
            ),
        ],
    },
    EventDefinition {
        key: HOSTS_DOWN,
        description: "Many hosts went down in one sweep: one message instead of a flood",
        placeholders: &[
            required("count", "how many went down", "14"),
            required(
                "hosts",
                "their names and addresses, one per line",
                "VPS-SG-01 (103.28.12.7:3389)\nVPS-SG-02 (103.28.12.8:3389)",
            ),
        ],
        defaults: [
            (
                "🔴 {count} host DOWN",
                "{count} host tidak dapat dihubungi pada pengecekan yang sama:\n{hosts}",
            ),
            (
                "🔴 {count} hosts DOWN",
                "{count} hosts became unreachable in the same sweep:\n{hosts}",
            ),
        ],
    },
    EventDefinition {
        key: HOST_EXPIRED,
        description: "A monitored host passed its expiry date (sent once per date)",
        placeholders: &[
            HOST_NAME,
            HOST,
            required("expires_on", "the expiry date", "20/11/2026"),
        ],
        defaults: [
            (
                "⛔ EXPIRED: {name}",
                "Masa aktif {name} ({host}) berakhir pada {expires_on}.",
            ),
            (
                "⛔ EXPIRED: {name}",
                "{name} ({host}) expired on {expires_on}.",
            ),
        ],
    },
    EventDefinition {
        key: HOST_EXPIRING,
        description: "A monitored host expires soon (at the configured days before)",
        placeholders: &[
            HOST_NAME,
            HOST,
            required("expires_on", "the expiry date", "30/11/2026"),
            required("days", "days left", "7"),
        ],
        defaults: [
            (
                "⏳ Segera berakhir: {name}",
                "Masa aktif {name} ({host}) berakhir {days} hari lagi, pada {expires_on}.",
            ),
            (
                "⏳ Expiring soon: {name}",
                "{name} ({host}) expires in {days} days, on {expires_on}.",
            ),
        ],
    },
    EventDefinition {
        key: HOSTS_EXPIRED,
        description: "Many hosts passed their expiry date on the same check (an import of old data, a missed day): one staff message instead of a flood",
        placeholders: &[
            required("count", "how many expired", "120"),
            required(
                "hosts",
                "their names, addresses and expiry dates, one per line",
                "VPS-SG-01 (103.28.12.7:3389), 20/11/2026\nVPS-SG-02 (103.28.12.8:3389), 21/11/2026",
            ),
        ],
        defaults: [
            (
                "⛔ {count} host EXPIRED",
                "Masa aktif {count} host telah berakhir:\n{hosts}",
            ),
            (
                "⛔ {count} hosts EXPIRED",
                "{count} hosts have passed their expiry date:\n{hosts}",
            ),
        ],
    },
    EventDefinition {
        key: HOSTS_EXPIRING,
        description: "Many hosts reached an \"expiring soon\" mark on the same check: one staff message instead of a flood",
        placeholders: &[
            required("count", "how many expire soon", "45"),
            required(
                "hosts",
                "their names, addresses, expiry dates and days left, one per line",
                "VPS-SG-01 (103.28.12.7:3389), 30/11/2026 (7)\nVPS-SG-02 (103.28.12.8:3389), 02/12/2026 (3)",
            ),
        ],
        defaults: [
            (
                "⏳ {count} host segera berakhir",
                "Masa aktif {count} host segera berakhir (tanggal, sisa hari):\n{hosts}",
            ),
            (
                "⏳ {count} hosts expiring soon",
                "{count} hosts expire soon (date, days left):\n{hosts}",
            ),
        ],
    },
    EventDefinition {
        key: CHECKER_OFFLINE,
        description: "The checker lost its own network (the canary fails too): hosts are not marked down",
        placeholders: &[required(
            "canary",
            "the canary targets that failed",
            "1.1.1.1:53",
        )],
        defaults: [
            (
                "⚠️ Pemantau kehilangan jaringan",
                "Target kanari {canary} juga gagal, jadi jaringan pemantau sendiri yang bermasalah. Status host tidak diubah sampai jaringan pulih.",
            ),
            (
                "⚠️ The monitor lost its network",
                "The canary {canary} fails too, so the monitor's own network is at fault. Host states stay as they are until it recovers.",
            ),
        ],
    },
    EventDefinition {
        key: INVOICE_CREATED,
        description: "An order or top-up created an invoice to pay",
        placeholders: &[
            NAME,
            INVOICE_NUMBER,
            required("total", "the amount to pay", "Rp 165.000"),
            required("due", "pay before (shop time)", "06/12/2026 17:05 WIB"),
            optional("items", "what is billed", "VPS Cloud 2 GB (1 bulan)"),
        ],
        defaults: [
            (
                "Tagihan {number}",
                "Halo {name},\n\nTagihan {number} sebesar {total} untuk {items} menunggu pembayaran. Bayar sebelum {due}; setelah itu pesanan dibatalkan.",
            ),
            (
                "Invoice {number}",
                "Hello {name},\n\nInvoice {number} of {total} for {items} is waiting for payment. Please pay before {due}; after that the order is cancelled.",
            ),
        ],
    },
    EventDefinition {
        key: PAYMENT_RECEIVED,
        description: "A payment of an invoice was received",
        placeholders: &[
            NAME,
            INVOICE_NUMBER,
            required("amount", "the amount received", "Rp 165.000"),
            required("method", "how it was paid", "midtrans"),
        ],
        defaults: [
            (
                "Pembayaran diterima: {number}",
                "Halo {name},\n\nPembayaran {amount} untuk {number} melalui {method} sudah kami terima. Terima kasih!",
            ),
            (
                "Payment received: {number}",
                "Hello {name},\n\nWe received {amount} for {number} through {method}. Thank you!",
            ),
        ],
    },
    EventDefinition {
        key: PAYMENT_FAILED,
        description: "A payment attempt failed or expired",
        placeholders: &[
            NAME,
            INVOICE_NUMBER,
            required("method", "the payment method", "pakasir"),
            required("reason", "what happened", "expired"),
        ],
        defaults: [
            (
                "Pembayaran gagal: {number}",
                "Halo {name},\n\nPembayaran {number} melalui {method} tidak berhasil ({reason}). Anda dapat mencoba lagi dari halaman tagihan.",
            ),
            (
                "Payment failed: {number}",
                "Hello {name},\n\nThe payment of {number} through {method} did not go through ({reason}). You can try again from the invoice page.",
            ),
        ],
    },
    EventDefinition {
        key: ITEM_DELIVERED,
        description: "A digital product was delivered (the item itself is in the message)",
        placeholders: &[
            NAME,
            required("product", "the product", "Netflix Premium 1 bulan"),
            required("item", "the code or account", "user@example.com / s3cret"),
            optional("terms", "the product's terms", "Jangan ubah kata sandi."),
        ],
        defaults: [
            (
                "Pesanan Anda: {product}",
                "Halo {name},\n\nPesanan {product} sudah siap:\n{item}\n\n{terms}",
            ),
            (
                "Your order: {product}",
                "Hello {name},\n\nYour {product} is ready:\n{item}\n\n{terms}",
            ),
        ],
    },
    EventDefinition {
        key: SERVICE_READY,
        description: "A VPS, hosting account or domain is delivered and ready",
        placeholders: &[
            NAME,
            required("service", "the service", "VPS Cloud 2 GB"),
            required(
                "details",
                "how to reach it (address, login; never the password)",
                "IP: 203.0.113.5\nLogin: root",
            ),
        ],
        defaults: [
            (
                "Layanan Anda siap: {service}",
                "Halo {name},\n\nLayanan {service} sudah aktif.\n{details}",
            ),
            (
                "Your service is ready: {service}",
                "Hello {name},\n\nYour {service} is active.\n{details}",
            ),
        ],
    },
    EventDefinition {
        key: SERVICE_ACTION_CODE,
        description: "The code that confirms a destructive action on a service (reinstall)",
        placeholders: &[
            NAME,
            CODE,
            required("service", "the service", "VPS Cloud 2 GB"),
            required("action", "what the code confirms", "reinstall"),
        ],
        defaults: [
            (
                "Kode konfirmasi {action}: {service}",
                "Halo {name},\n\nKode untuk mengonfirmasi {action} pada {service}: {code}\nSemua data pada server akan dihapus. Abaikan email ini jika Anda tidak memintanya.",
            ),
            (
                "Confirmation code for {action}: {service}",
                "Hello {name},\n\nThe code to confirm {action} of {service}: {code}\nAll data on the server will be erased. Ignore this email if you did not ask for it.",
            ),
        ],
    },
    EventDefinition {
        key: RENEWAL_INVOICE,
        description: "A service's next period was invoiced (renewal)",
        placeholders: &[NAME, INVOICE_NUMBER, SERVICE, RENEWAL_TOTAL, DUE_DATE],
        defaults: [
            (
                "Tagihan perpanjangan {service}: {number}",
                "Halo {name},\n\nTagihan {number} sebesar {total} untuk perpanjangan {service} sudah terbit. Mohon dibayar paling lambat {due} agar layanan tetap aktif.",
            ),
            (
                "Renewal invoice for {service}: {number}",
                "Hello {name},\n\nInvoice {number} of {total} renews {service}. Please pay it by {due} to keep the service running.",
            ),
        ],
    },
    EventDefinition {
        key: RENEWAL_DUE_SOON,
        description: "A renewal invoice is due in 3 days and still unpaid",
        placeholders: &[NAME, INVOICE_NUMBER, SERVICE, RENEWAL_TOTAL, DUE_DATE],
        defaults: [
            (
                "Pengingat: {service} jatuh tempo {due}",
                "Halo {name},\n\nTagihan {number} sebesar {total} untuk {service} jatuh tempo pada {due}. Bayar sekarang agar layanan tidak terhenti.",
            ),
            (
                "Reminder: {service} is due on {due}",
                "Hello {name},\n\nInvoice {number} of {total} for {service} is due on {due}. Pay now so the service is not interrupted.",
            ),
        ],
    },
    EventDefinition {
        key: RENEWAL_DUE_TODAY,
        description: "A renewal invoice is due today and still unpaid",
        placeholders: &[NAME, INVOICE_NUMBER, SERVICE, RENEWAL_TOTAL, DUE_DATE],
        defaults: [
            (
                "Jatuh tempo hari ini: {service}",
                "Halo {name},\n\nTagihan {number} sebesar {total} untuk {service} jatuh tempo hari ini ({due}).",
            ),
            (
                "Due today: {service}",
                "Hello {name},\n\nInvoice {number} of {total} for {service} is due today ({due}).",
            ),
        ],
    },
    EventDefinition {
        key: RENEWAL_OVERDUE,
        description: "A renewal invoice is past its due date and unpaid",
        placeholders: &[
            NAME,
            INVOICE_NUMBER,
            SERVICE,
            RENEWAL_TOTAL,
            DUE_DATE,
            required(
                "suspend_on",
                "the day the service is suspended if still unpaid",
                "09/12/2026",
            ),
        ],
        defaults: [
            (
                "Tagihan lewat jatuh tempo: {service}",
                "Halo {name},\n\nTagihan {number} sebesar {total} untuk {service} sudah lewat jatuh tempo ({due}). Jika belum dibayar, layanan ditangguhkan pada {suspend_on}.",
            ),
            (
                "Overdue: {service}",
                "Hello {name},\n\nInvoice {number} of {total} for {service} was due on {due}. If it stays unpaid, the service is suspended on {suspend_on}.",
            ),
        ],
    },
    EventDefinition {
        key: SERVICE_SUSPENDED,
        description: "A service is suspended because its renewal invoice is unpaid",
        placeholders: &[
            NAME,
            INVOICE_NUMBER,
            SERVICE,
            RENEWAL_TOTAL,
            required(
                "terminate_on",
                "the day the service is deleted if still unpaid",
                "21/12/2026",
            ),
        ],
        defaults: [
            (
                "Layanan ditangguhkan: {service}",
                "Halo {name},\n\nLayanan {service} ditangguhkan karena tagihan {number} ({total}) belum dibayar. Bayar tagihan untuk mengaktifkannya kembali; jika belum dibayar, layanan dihapus pada {terminate_on}.",
            ),
            (
                "Service suspended: {service}",
                "Hello {name},\n\n{service} is suspended because invoice {number} ({total}) is unpaid. Pay it to bring the service back; if it stays unpaid, the service is deleted on {terminate_on}.",
            ),
        ],
    },
    EventDefinition {
        key: SERVICE_TERMINATED,
        description: "A service ends: unpaid past its termination day, or cancelled",
        placeholders: &[NAME, SERVICE],
        defaults: [
            (
                "Layanan diakhiri: {service}",
                "Halo {name},\n\nLayanan {service} telah diakhiri dan datanya dihapus. Terima kasih telah menggunakan layanan kami.",
            ),
            (
                "Service ended: {service}",
                "Hello {name},\n\n{service} has ended and its data is deleted. Thank you for using our services.",
            ),
        ],
    },
    EventDefinition {
        key: STAFF_NEW_ORDER,
        description: "A client placed an order (to staff chats)",
        placeholders: &[
            required(
                "customer",
                "the client's name and email",
                "Budi Santoso <budi@example.id>",
            ),
            required("product", "what was ordered", "VPS Cloud 2 GB (1 bulan)"),
            required("total", "the invoice total", "Rp 165.000"),
            required("number", "the invoice number", "INV-2026-000123"),
            required("time", "when (shop time)", "05/12/2026 17:05 WIB"),
        ],
        defaults: [
            (
                "🛒 Pesanan baru",
                "🛒 Pesanan baru\nPelanggan: {customer}\nProduk: {product}\nTotal: {total} ({number})\nWaktu: {time}",
            ),
            (
                "🛒 New order",
                "🛒 New order\nCustomer: {customer}\nProduct: {product}\nTotal: {total} ({number})\nTime: {time}",
            ),
        ],
    },
    EventDefinition {
        key: STAFF_PAYMENT_RECEIVED,
        description: "A payment was received (to staff chats)",
        placeholders: &[
            required(
                "customer",
                "the client's name and email",
                "Budi Santoso <budi@example.id>",
            ),
            required("number", "the invoice number", "INV-2026-000123"),
            required("amount", "the amount received", "Rp 165.000"),
            required("method", "how it was paid", "pakasir"),
            required("time", "when (shop time)", "05/12/2026 17:07 WIB"),
        ],
        defaults: [
            (
                "💰 Pembayaran diterima",
                "💰 Pembayaran diterima\nPelanggan: {customer}\nTagihan: {number}\nJumlah: {amount}\nMetode: {method}\nWaktu: {time}",
            ),
            (
                "💰 Payment received",
                "💰 Payment received\nCustomer: {customer}\nInvoice: {number}\nAmount: {amount}\nMethod: {method}\nTime: {time}",
            ),
        ],
    },
];

pub fn event(key: &str) -> Option<&'static EventDefinition> {
    EVENTS.iter().find(|event| event.key == key)
}
