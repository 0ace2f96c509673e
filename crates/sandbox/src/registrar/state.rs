//! What the registrar fake remembers, behind one lock, and what each call
//! does: an answer as ResellerClub writes it, or the message of its
//! `{"status":"ERROR"}` body.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use chrono::{Months, Utc};
use serde_json::{Value, json};

use super::{FakeContact, FakeRegistration, RegistrarCall, RegistrarFailure, RegistrarFakeConfig};
use crate::rdap::RdapState;

#[derive(Clone)]
pub(crate) struct RegistrarState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RegistrarState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrarState")
            .field("registrations", &self.lock().registrations.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: RegistrarFakeConfig,
    rdap: Option<RdapState>,
    data: Mutex<Data>,
}

#[derive(Default)]
struct Data {
    registrations: Vec<FakeRegistration>,
    contacts: Vec<FakeContact>,
    taken: HashSet<String>,
    failures: HashMap<RegistrarCall, VecDeque<RegistrarFailure>>,
    calls: HashMap<RegistrarCall, usize>,
    next_id: u64,
}

/// The parameters of one call, in order; `ns` and `tlds` repeat.
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim().to_ascii_lowercase())
            .collect()
    }

    fn require(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("Required parameter missing: {name}"))
    }
}

impl RegistrarState {
    pub(crate) fn new(config: RegistrarFakeConfig, rdap: Option<RdapState>) -> Self {
        let taken = config
            .taken
            .iter()
            .filter_map(|name| normalise_name(name).ok())
            .collect();
        RegistrarState {
            inner: Arc::new(Inner {
                config,
                rdap,
                data: Mutex::new(Data {
                    taken,
                    next_id: 1,
                    ..Data::default()
                }),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // No critical section can panic half-way.
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &RegistrarFakeConfig {
        &self.inner.config
    }

    pub(crate) fn authorized(&self, params: &Params) -> bool {
        params.get("auth-userid") == Some(self.inner.config.auth_userid.as_str())
            && params.get("api-key") == Some(self.inner.config.api_key.as_str())
    }

    pub(crate) fn fail_next(&self, call: RegistrarCall, failure: RegistrarFailure) {
        self.lock()
            .failures
            .entry(call)
            .or_default()
            .push_back(failure);
    }

    /// Counts the call and hands out its injected failure, if any.
    pub(crate) fn arrive(&self, call: RegistrarCall) -> Option<RegistrarFailure> {
        let mut data = self.lock();
        *data.calls.entry(call).or_default() += 1;
        data.failures.get_mut(&call)?.pop_front()
    }

    pub(crate) fn calls(&self, call: RegistrarCall) -> usize {
        self.lock().calls.get(&call).copied().unwrap_or(0)
    }

    pub(crate) fn add_taken(&self, domain: &str) {
        if let Ok(name) = normalise_name(domain) {
            self.lock().taken.insert(name);
        }
    }

    pub(crate) fn registrations(&self) -> Vec<FakeRegistration> {
        self.lock().registrations.clone()
    }

    pub(crate) fn registration(&self, domain: &str) -> Option<FakeRegistration> {
        let name = normalise_name(domain).ok()?;
        self.lock()
            .registrations
            .iter()
            .find(|registration| registration.domain == name)
            .cloned()
    }

    pub(crate) fn contacts(&self) -> Vec<FakeContact> {
        self.lock().contacts.clone()
    }

    pub(crate) fn reset(&self) {
        let mut data = self.lock();
        let next_id = data.next_id;
        *data = Data {
            taken: self
                .inner
                .config
                .taken
                .iter()
                .filter_map(|name| normalise_name(name).ok())
                .collect(),
            next_id,
            ..Data::default()
        };
    }

    fn check_customer(&self, params: &Params) -> Result<(), String> {
        let customer = params.require("customer-id")?;
        if customer != self.inner.config.customer_id {
            return Err(format!("Invalid customer-id: {customer}"));
        }
        Ok(())
    }

    pub(crate) fn add_contact(&self, params: &Params) -> Result<Value, String> {
        self.check_customer(params)?;
        for required in [
            "name",
            "company",
            "email",
            "address-line-1",
            "city",
            "country",
            "zipcode",
            "phone-cc",
            "phone",
            "type",
        ] {
            params.require(required)?;
        }
        let email = params.require("email")?;
        if !email
            .split_once('@')
            .is_some_and(|(l, h)| !l.is_empty() && h.contains('.'))
        {
            return Err(format!("{email} is not a valid Email Address"));
        }
        let country = params.require("country")?;
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("Invalid country code: {country}"));
        }
        let phone_cc = params.require("phone-cc")?;
        let phone = params.require("phone")?;
        if !phone_cc.bytes().all(|b| b.is_ascii_digit())
            || !phone.bytes().all(|b| b.is_ascii_digit())
        {
            return Err("Invalid phone number".to_owned());
        }
        let mut data = self.lock();
        let id = 80_000_000 + data.next_id;
        data.next_id += 1;
        data.contacts.push(FakeContact {
            id: id.to_string(),
            name: params.require("name")?.to_owned(),
            email: email.to_owned(),
            country: country.to_owned(),
            city: params.require("city")?.to_owned(),
            phone_cc: phone_cc.to_owned(),
            phone: phone.to_owned(),
        });
        // ResellerClub answers a bare number.
        Ok(json!(id))
    }

    fn is_taken(&self, data: &Data, name: &str) -> bool {
        data.taken.contains(name)
            || data.registrations.iter().any(|r| r.domain == name)
            || self
                .inner
                .rdap
                .as_ref()
                .is_some_and(|rdap| rdap.lookup(name).is_some())
    }

    pub(crate) fn register(&self, params: &Params) -> Result<Value, String> {
        let raw = params.require("domain-name")?;
        let name = normalise_name(raw).map_err(|_| format!("Invalid domain-name: {raw}"))?;
        let years: u8 = params
            .require("years")?
            .parse()
            .ok()
            .filter(|years| (1..=10).contains(years))
            .ok_or_else(|| "years should be between 1 and 10".to_owned())?;
        let nameservers = params.all("ns");
        if nameservers.is_empty() {
            return Err("Required parameter missing: ns".to_owned());
        }
        if let Some(bad) = nameservers.iter().find(|ns| normalise_name(ns).is_err()) {
            return Err(format!("Invalid Name Server: {bad}"));
        }
        self.check_customer(params)?;
        let invoice = params.require("invoice-option")?;
        if !matches!(
            invoice,
            "NoInvoice" | "PayInvoice" | "KeepInvoice" | "OnlyAdd"
        ) {
            return Err(format!("Invalid invoice-option: {invoice}"));
        }
        let contact_id = params.require("reg-contact-id")?.to_owned();
        let mut data = self.lock();
        for role in [
            "reg-contact-id",
            "admin-contact-id",
            "tech-contact-id",
            "billing-contact-id",
        ] {
            let id = params.require(role)?;
            if !data.contacts.iter().any(|contact| contact.id == id) {
                return Err(format!("Invalid {role}: {id}"));
            }
        }
        if self.is_taken(&data, &name) {
            return Err(format!("Domain {name} is not available for registration."));
        }
        let order_id = (90_000_000 + data.next_id).to_string();
        data.next_id += 1;
        let now = Utc::now();
        data.registrations.push(FakeRegistration {
            order_id: order_id.clone(),
            domain: name.clone(),
            customer_id: self.inner.config.customer_id.clone(),
            years,
            nameservers,
            contact_id,
            privacy: params.get("protect-privacy") == Some("true"),
            registered_at: now,
            expires_at: now + Months::new(12 * u32::from(years)),
        });
        drop(data);
        if let Some(rdap) = &self.inner.rdap {
            // A TLD the RDAP fake does not serve simply stays unknown there.
            let _ = rdap.register(&name);
        }
        Ok(json!({
            "description": name,
            "entityid": order_id,
            "actiontype": "AddNewDomain",
            "actiontypedesc": format!("Registration of {name} for {years} year{}", if years == 1 { "" } else { "s" }),
            "actionstatus": "Success",
            "actionstatusdesc": "Domain registration Completed Successfully",
            "eaqid": format!("{}", 500_000_000 + u64::from(years)),
            "customerid": self.inner.config.customer_id,
            "invoiceid": Value::Null,
            "sellingcurrencysymbol": "IDR",
        }))
    }

    pub(crate) fn details(&self, params: &Params) -> Result<Value, String> {
        let raw = params.require("domain-name")?;
        let name = normalise_name(raw).map_err(|_| format!("Invalid domain-name: {raw}"))?;
        let data = self.lock();
        let registration = data
            .registrations
            .iter()
            .find(|registration| registration.domain == name)
            .ok_or_else(|| format!("Website doesn't exist for {name}"))?;
        let mut answer = json!({
            "orderid": registration.order_id,
            "entityid": registration.order_id,
            "domainname": registration.domain,
            "description": registration.domain,
            "customerid": registration.customer_id,
            "creationtime": registration.registered_at.timestamp().to_string(),
            "endtime": registration.expires_at.timestamp().to_string(),
            "currentstatus": "Active",
            "orderstatus": [],
            "domainstatus": [],
            "isprivacyprotected": registration.privacy.to_string(),
            "registrantcontactid": registration.contact_id,
            "admincontactid": registration.contact_id,
            "techcontactid": registration.contact_id,
            "billingcontactid": registration.contact_id,
            "noOfNameServers": registration.nameservers.len().to_string(),
            "classkey": "domcno",
        });
        for (index, nameserver) in registration.nameservers.iter().enumerate() {
            answer[format!("ns{}", index + 1)] = json!(nameserver);
        }
        Ok(answer)
    }

    pub(crate) fn modify_ns(&self, params: &Params) -> Result<Value, String> {
        let order_id = params.require("order-id")?;
        let nameservers = params.all("ns");
        if nameservers.is_empty() {
            return Err("Required parameter missing: ns".to_owned());
        }
        if let Some(bad) = nameservers.iter().find(|ns| normalise_name(ns).is_err()) {
            return Err(format!("Invalid Name Server: {bad}"));
        }
        let mut data = self.lock();
        let registration = data
            .registrations
            .iter_mut()
            .find(|registration| registration.order_id == order_id)
            .ok_or_else(|| format!("No Entity found for Entityid {order_id}"))?;
        registration.nameservers.clone_from(&nameservers);
        Ok(json!({
            "description": registration.domain,
            "entityid": order_id,
            "actiontype": "ModNS",
            "actiontypedesc": format!("Modification of Nameservers of {} to [{}]", registration.domain, nameservers.join(", ")),
            "actionstatus": "Success",
            "actionstatusdesc": "Modification Completed Successfully.",
        }))
    }

    pub(crate) fn available(&self, params: &Params) -> Result<Value, String> {
        let names: Vec<String> = params.all("domain-name");
        let tlds: Vec<String> = params.all("tlds");
        if names.is_empty() || tlds.is_empty() {
            return Err("Required parameter missing: domain-name or tlds".to_owned());
        }
        let data = self.lock();
        let mut answer = serde_json::Map::new();
        for label in &names {
            for tld in &tlds {
                let Ok(name) = normalise_name(&format!("{label}.{tld}")) else {
                    continue;
                };
                let status = if data.registrations.iter().any(|r| r.domain == name) {
                    "regthroughus"
                } else if self.is_taken(&data, &name) {
                    "regthroughothers"
                } else {
                    "available"
                };
                answer.insert(name, json!({ "classkey": "domcno", "status": status }));
            }
        }
        Ok(Value::Object(answer))
    }
}

/// Lower-case A-labels of a plausible domain name (at least two labels of
/// letters, digits and inner hyphens).
fn normalise_name(raw: &str) -> Result<String, ()> {
    let raw = raw.trim().trim_end_matches('.');
    let ascii = idna::domain_to_ascii_strict(raw).map_err(drop)?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let plausible = ascii.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        });
    if plausible { Ok(ascii) } else { Err(()) }
}
