//! The double-entry ledger. A movement takes money from one account and
//! gives it to another: two entries, one negative and one positive, in one
//! statement, checked at insert to sum to zero in one currency.
//!
//! Only client wallets keep a running balance, guarded never to go below
//! zero by the UPDATE that spends it (and by a CHECK behind it). The shop's
//! own accounts (gateway, revenue, payout) are summed from their entries
//! when asked: keeping their balance on one row would make every payment of
//! the shop wait for that row's lock.

use domain::{Currency, Money};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{BillingError, Refusal};

/// An account of the ledger, named by what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// What the shop owes a client: their wallet balance.
    Wallet(Uuid),
    /// Money that came in through a payment gateway (or a manual transfer).
    Gateway(&'static str),
    /// What the shop has sold.
    Revenue,
    /// Refunds paid out to a client outside the shop.
    Payout,
}

impl Account {
    fn kind(&self) -> &'static str {
        match self {
            Account::Wallet(_) => "client_wallet",
            Account::Gateway(_) => "gateway",
            Account::Revenue => "revenue",
            Account::Payout => "payout",
        }
    }

    fn user(&self) -> Option<Uuid> {
        match self {
            Account::Wallet(user) => Some(*user),
            _ => None,
        }
    }

    fn gateway(&self) -> Option<&'static str> {
        match self {
            Account::Gateway(name) => Some(name),
            _ => None,
        }
    }
}

/// Why money moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    InvoicePayment,
    TopUp,
    WalletPayment,
    Overpayment,
    RefundToWallet,
    RefundPaidOut,
    /// A downgrade's unused days, or an upgrade paid after it could no
    /// longer apply.
    PlanChangeCredit,
}

impl Movement {
    fn as_str(self) -> &'static str {
        match self {
            Movement::InvoicePayment => "invoice_payment",
            Movement::TopUp => "top_up",
            Movement::WalletPayment => "wallet_payment",
            Movement::Overpayment => "overpayment",
            Movement::RefundToWallet => "refund_to_wallet",
            Movement::RefundPaidOut => "refund_paid_out",
            Movement::PlanChangeCredit => "plan_change_credit",
        }
    }
}

/// One movement of `amount` from `from` to `to`.
#[derive(Debug, Clone)]
pub struct Transfer<'a> {
    pub movement: Movement,
    pub from: Account,
    pub to: Account,
    pub amount: Money,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub memo: &'a str,
    pub actor: Option<Uuid>,
}

/// The account's id, created on first use.
async fn account_id(
    conn: &mut PgConnection,
    account: &Account,
    currency: Currency,
) -> Result<i64, BillingError> {
    let (kind, user, gateway) = (account.kind(), account.user(), account.gateway());
    sqlx::query!(
        "INSERT INTO ledger_account (kind, user_id, gateway, currency)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT ON CONSTRAINT ledger_account_kind_user_id_gateway_currency_key DO NOTHING",
        kind,
        user,
        gateway,
        currency.code()
    )
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar!(
        "SELECT id FROM ledger_account
          WHERE kind = $1 AND user_id IS NOT DISTINCT FROM $2
            AND gateway IS NOT DISTINCT FROM $3 AND currency = $4",
        kind,
        user,
        gateway,
        currency.code()
    )
    .fetch_one(conn)
    .await?)
}

/// Moves money, in the caller's transaction. Spending from a wallet that
/// does not cover the amount is `Refusal::InsufficientFunds` and writes
/// nothing. Returns the ledger transaction's id.
pub async fn transfer(
    conn: &mut PgConnection,
    transfer: &Transfer<'_>,
) -> Result<i64, BillingError> {
    let amount = transfer.amount.minor();
    if amount <= 0 {
        return Err(BillingError::Corrupt(format!(
            "a ledger transfer of {amount} minor units"
        )));
    }
    let currency = transfer.amount.currency();
    let from = account_id(conn, &transfer.from, currency).await?;
    let to = account_id(conn, &transfer.to, currency).await?;

    // Wallets keep their balance on their row; the conditional UPDATE is
    // what refuses an overdraft, and its row lock serialises spenders.
    let from_after = sqlx::query_scalar!(
        "UPDATE ledger_account SET balance_minor = balance_minor - $2
          WHERE id = $1 AND kind = 'client_wallet' AND balance_minor >= $2
         RETURNING balance_minor",
        from,
        amount
    )
    .fetch_optional(&mut *conn)
    .await?;
    if from_after.is_none() && matches!(transfer.from, Account::Wallet(_)) {
        return Err(Refusal::InsufficientFunds.into());
    }
    let to_after = sqlx::query_scalar!(
        "UPDATE ledger_account SET balance_minor = balance_minor + $2
          WHERE id = $1 AND kind = 'client_wallet'
         RETURNING balance_minor",
        to,
        amount
    )
    .fetch_optional(&mut *conn)
    .await?;

    let transaction = sqlx::query_scalar!(
        "INSERT INTO ledger_transaction (kind, invoice_id, payment_id, memo, actor_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        transfer.movement.as_str(),
        transfer.invoice_id,
        transfer.payment_id,
        transfer.memo,
        transfer.actor
    )
    .fetch_one(&mut *conn)
    .await?;
    // Both entries in one statement: the balance check runs per statement.
    sqlx::query!(
        "INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, balance_after)
         VALUES ($1, $2, -$4::BIGINT, $5), ($1, $3, $4, $6)",
        transaction,
        from,
        to,
        amount,
        from_after.unwrap_or(0),
        to_after.unwrap_or(0)
    )
    .execute(conn)
    .await?;
    Ok(transaction)
}
