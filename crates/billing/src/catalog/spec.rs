//! Product kinds and the technical attributes each kind must have. The
//! attributes are stored as [`ProductSpec`], which cannot hold a VPS without
//! cores or a data package without its operator; staff send a [`SpecInput`]
//! whose fields are checked against the kind, so a missing or misplaced
//! field is a field error, not a parse failure.

use std::fmt;
use std::str::FromStr;

use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bounds;
use super::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    Vps,
    Hosting,
    Domain,
    Digital,
    DataPackage,
    Internet,
}

impl ProductKind {
    pub const ALL: [ProductKind; 6] = [
        ProductKind::Vps,
        ProductKind::Hosting,
        ProductKind::Domain,
        ProductKind::Digital,
        ProductKind::DataPackage,
        ProductKind::Internet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::Vps => "vps",
            ProductKind::Hosting => "hosting",
            ProductKind::Domain => "domain",
            ProductKind::Digital => "digital",
            ProductKind::DataPackage => "data_package",
            ProductKind::Internet => "internet",
        }
    }
}

impl fmt::Display for ProductKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown product kind `{0}` (vps, hosting, domain, digital, data_package, internet)")]
pub struct UnknownKind(pub String);

impl FromStr for ProductKind {
    type Err = UnknownKind;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        ProductKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == input.trim())
            .ok_or_else(|| UnknownKind(input.trim().to_owned()))
    }
}

/// The mobile operators data packages are sold for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Telkomsel,
    Indosat,
    Xl,
    Axis,
    Tri,
    Smartfren,
}

impl FromStr for Operator {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input.trim().to_ascii_lowercase().as_str() {
            "telkomsel" => Ok(Operator::Telkomsel),
            "indosat" | "im3" | "ooredoo" => Ok(Operator::Indosat),
            "xl" => Ok(Operator::Xl),
            "axis" => Ok(Operator::Axis),
            "tri" | "3" => Ok(Operator::Tri),
            "smartfren" => Ok(Operator::Smartfren),
            other => Err(format!(
                "unknown operator `{other}` (telkomsel, indosat, xl, axis, tri, smartfren)"
            )),
        }
    }
}

/// A virtual server: what the hypervisor gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VpsSpec {
    pub cores: u32,
    pub ram_mb: u32,
    pub disk_gb: u32,
    /// Network rate limit; none means the node's default.
    pub rate_limit_mbps: Option<u32>,
}

/// A cPanel account on a WHM server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HostingSpec {
    /// The WHM package the account is created with.
    pub whm_package: String,
    /// Disk quota; none means unlimited.
    pub disk_mb: Option<u32>,
    /// Monthly bandwidth; none means unlimited.
    pub bandwidth_gb: Option<u32>,
    pub addon_domains: u32,
}

/// Registration of names under one TLD (`com`, `co.id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DomainSpec {
    /// Lowercase, without the leading dot.
    pub tld: String,
}

/// Codes or account credentials from stock, one per unit sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DigitalSpec {
    /// Terms and conditions ("SNK") the buyer must fulfil, Indonesian.
    pub terms_id: Option<String>,
    pub terms_en: Option<String>,
}

/// Mobile data bought from the provider for the buyer's number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DataPackageSpec {
    /// The provider's code for the package.
    pub provider_sku: String,
    pub operator: Operator,
    pub quota_mb: u32,
    pub validity_days: u32,
}

/// A PPPoE internet plan on the shop's MikroTik routers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InternetSpec {
    /// The PPP profile the customer's secret uses.
    pub pppoe_profile: String,
    pub download_mbps: u32,
    pub upload_mbps: u32,
}

/// A product's technical attributes, one shape per kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProductSpec {
    Vps(VpsSpec),
    Hosting(HostingSpec),
    Domain(DomainSpec),
    Digital(DigitalSpec),
    DataPackage(DataPackageSpec),
    Internet(InternetSpec),
}

impl ProductSpec {
    pub fn kind(&self) -> ProductKind {
        match self {
            ProductSpec::Vps(_) => ProductKind::Vps,
            ProductSpec::Hosting(_) => ProductKind::Hosting,
            ProductSpec::Domain(_) => ProductKind::Domain,
            ProductSpec::Digital(_) => ProductKind::Digital,
            ProductSpec::DataPackage(_) => ProductKind::DataPackage,
            ProductSpec::Internet(_) => ProductKind::Internet,
        }
    }
}

/// What staff send for a product's technical attributes: every kind's
/// fields in one object; which are required, and which are refused, depends
/// on the product's kind.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SpecInput {
    /// vps: CPU cores, 1 to 256.
    pub cores: Option<i64>,
    /// vps: memory in MB, 128 to 4194304.
    pub ram_mb: Option<i64>,
    /// vps: disk in GB, 1 to 65536.
    pub disk_gb: Option<i64>,
    /// vps: network rate limit in Mbit/s, 1 to 100000.
    pub rate_limit_mbps: Option<i64>,
    /// vps: codes of the regions it is sold in (at least one).
    pub regions: Option<Vec<String>>,
    /// vps: codes of the OS templates offered (at least one).
    pub os_templates: Option<Vec<String>>,
    /// hosting: the WHM package name.
    pub whm_package: Option<String>,
    /// hosting: disk quota in MB; absent is unlimited.
    pub disk_mb: Option<i64>,
    /// hosting: monthly bandwidth in GB; absent is unlimited.
    pub bandwidth_gb: Option<i64>,
    /// hosting: addon domains allowed, 0 to 1000.
    pub addon_domains: Option<i64>,
    /// domain: the TLD sold, e.g. `com` or `co.id`.
    pub tld: Option<String>,
    /// digital: terms ("SNK") in Indonesian.
    pub terms_id: Option<String>,
    /// digital: terms in English.
    pub terms_en: Option<String>,
    /// data_package: the provider's package code.
    pub provider_sku: Option<String>,
    /// data_package: telkomsel, indosat, xl, axis, tri or smartfren.
    pub operator: Option<String>,
    /// data_package: quota in MB.
    pub quota_mb: Option<i64>,
    /// data_package: days the quota lasts, 1 to 366.
    pub validity_days: Option<i64>,
    /// internet: the PPP profile name.
    pub pppoe_profile: Option<String>,
    /// internet: download speed in Mbit/s.
    pub download_mbps: Option<i64>,
    /// internet: upload speed in Mbit/s.
    pub upload_mbps: Option<i64>,
}

fn number(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
    required: bool,
) -> Option<u32> {
    text::in_range(errors, &format!("spec.{field}"), value, &range, required)
        .and_then(|value| u32::try_from(value).ok())
}

fn word(errors: &mut ValidationErrors, field: &str, value: Option<&str>) -> Option<String> {
    let value = text::required(
        errors,
        &format!("spec.{field}"),
        value,
        bounds::PROFILE_MAX_CHARS,
    )?;
    if value.chars().any(char::is_whitespace) {
        errors.add(&format!("spec.{field}"), "invalid_format", "no spaces");
        return None;
    }
    Some(value)
}

/// List codes trimmed, sorted and without repeats.
fn codes(values: Option<&[String]>) -> Vec<String> {
    let mut codes: Vec<String> = values
        .unwrap_or_default()
        .iter()
        .map(|code| code.trim().to_owned())
        .filter(|code| !code.is_empty())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// A TLD as the shop writes it: lowercase labels without the leading dot.
fn tld(errors: &mut ValidationErrors, value: Option<&str>) -> Option<String> {
    let value = text::required(errors, "spec.tld", value, 63)?;
    let value = value.trim_start_matches('.').to_ascii_lowercase();
    let valid = !value.is_empty()
        && value.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    if !valid {
        errors.add(
            "spec.tld",
            "invalid_format",
            "a TLD such as com, id or co.id",
        );
        return None;
    }
    Some(value)
}

impl SpecInput {
    /// The names of the fields set, for refusing those another kind owns.
    fn present(&self) -> Vec<&'static str> {
        let fields: [(&'static str, bool); 20] = [
            ("cores", self.cores.is_some()),
            ("ram_mb", self.ram_mb.is_some()),
            ("disk_gb", self.disk_gb.is_some()),
            ("rate_limit_mbps", self.rate_limit_mbps.is_some()),
            ("regions", self.regions.is_some()),
            ("os_templates", self.os_templates.is_some()),
            ("whm_package", self.whm_package.is_some()),
            ("disk_mb", self.disk_mb.is_some()),
            ("bandwidth_gb", self.bandwidth_gb.is_some()),
            ("addon_domains", self.addon_domains.is_some()),
            ("tld", self.tld.is_some()),
            ("terms_id", self.terms_id.is_some()),
            ("terms_en", self.terms_en.is_some()),
            ("provider_sku", self.provider_sku.is_some()),
            ("operator", self.operator.is_some()),
            ("quota_mb", self.quota_mb.is_some()),
            ("validity_days", self.validity_days.is_some()),
            ("pppoe_profile", self.pppoe_profile.is_some()),
            ("download_mbps", self.download_mbps.is_some()),
            ("upload_mbps", self.upload_mbps.is_some()),
        ];
        fields
            .into_iter()
            .filter_map(|(name, set)| set.then_some(name))
            .collect()
    }

    fn owned_by(kind: ProductKind) -> &'static [&'static str] {
        match kind {
            ProductKind::Vps => &[
                "cores",
                "ram_mb",
                "disk_gb",
                "rate_limit_mbps",
                "regions",
                "os_templates",
            ],
            ProductKind::Hosting => &["whm_package", "disk_mb", "bandwidth_gb", "addon_domains"],
            ProductKind::Domain => &["tld"],
            ProductKind::Digital => &["terms_id", "terms_en"],
            ProductKind::DataPackage => &["provider_sku", "operator", "quota_mb", "validity_days"],
            ProductKind::Internet => &["pppoe_profile", "download_mbps", "upload_mbps"],
        }
    }

    /// The region codes given, cleaned; checked against the list apart from
    /// the rest, so an unknown region is reported even when cores are missing.
    pub fn region_codes(&self) -> Vec<String> {
        codes(self.regions.as_deref())
    }

    pub fn os_template_codes(&self) -> Vec<String> {
        codes(self.os_templates.as_deref())
    }

    /// Checks the input against `kind`, collecting every problem.
    pub fn validate(
        &self,
        kind: ProductKind,
        errors: &mut ValidationErrors,
    ) -> Option<ProductSpec> {
        let owned = Self::owned_by(kind);
        for field in self.present() {
            if !owned.contains(&field) {
                errors.add(
                    &format!("spec.{field}"),
                    "not_for_kind",
                    format!("a {kind} product has no {field}"),
                );
            }
        }
        match kind {
            ProductKind::Vps => {
                let cores = number(errors, "cores", self.cores, bounds::CORES, true);
                let ram_mb = number(errors, "ram_mb", self.ram_mb, bounds::RAM_MB, true);
                let disk_gb = number(errors, "disk_gb", self.disk_gb, bounds::DISK_GB, true);
                let rate = number(
                    errors,
                    "rate_limit_mbps",
                    self.rate_limit_mbps,
                    bounds::RATE_LIMIT_MBPS,
                    false,
                );
                let lists = [
                    ("regions", self.region_codes()),
                    ("os_templates", self.os_template_codes()),
                ];
                for (field, codes) in lists {
                    if codes.is_empty() {
                        errors.add(&format!("spec.{field}"), "required", "at least one");
                    }
                }
                Some(ProductSpec::Vps(VpsSpec {
                    cores: cores?,
                    ram_mb: ram_mb?,
                    disk_gb: disk_gb?,
                    rate_limit_mbps: rate,
                }))
            }
            ProductKind::Hosting => {
                let package = word(errors, "whm_package", self.whm_package.as_deref());
                let disk = number(
                    errors,
                    "disk_mb",
                    self.disk_mb,
                    bounds::HOSTING_DISK_MB,
                    false,
                );
                let bandwidth = number(
                    errors,
                    "bandwidth_gb",
                    self.bandwidth_gb,
                    bounds::BANDWIDTH_GB,
                    false,
                );
                let addons = number(
                    errors,
                    "addon_domains",
                    Some(self.addon_domains.unwrap_or(0)),
                    bounds::ADDON_DOMAINS,
                    false,
                );
                Some(ProductSpec::Hosting(HostingSpec {
                    whm_package: package?,
                    disk_mb: disk,
                    bandwidth_gb: bandwidth,
                    addon_domains: addons?,
                }))
            }
            ProductKind::Domain => {
                tld(errors, self.tld.as_deref()).map(|tld| ProductSpec::Domain(DomainSpec { tld }))
            }
            ProductKind::Digital => {
                let terms_id = text::optional(
                    errors,
                    "spec.terms_id",
                    self.terms_id.as_deref(),
                    bounds::TERMS_MAX_CHARS,
                );
                let terms_en = text::optional(
                    errors,
                    "spec.terms_en",
                    self.terms_en.as_deref(),
                    bounds::TERMS_MAX_CHARS,
                );
                Some(ProductSpec::Digital(DigitalSpec { terms_id, terms_en }))
            }
            ProductKind::DataPackage => {
                let sku = word(errors, "provider_sku", self.provider_sku.as_deref());
                let operator = match self.operator.as_deref().map(str::trim) {
                    None | Some("") => {
                        errors.add("spec.operator", "required", "required");
                        None
                    }
                    Some(operator) => errors.check("spec.operator", "unknown", operator.parse()),
                };
                let quota = number(errors, "quota_mb", self.quota_mb, bounds::QUOTA_MB, true);
                let validity = number(
                    errors,
                    "validity_days",
                    self.validity_days,
                    bounds::VALIDITY_DAYS,
                    true,
                );
                Some(ProductSpec::DataPackage(DataPackageSpec {
                    provider_sku: sku?,
                    operator: operator?,
                    quota_mb: quota?,
                    validity_days: validity?,
                }))
            }
            ProductKind::Internet => {
                let profile = word(errors, "pppoe_profile", self.pppoe_profile.as_deref());
                let down = number(
                    errors,
                    "download_mbps",
                    self.download_mbps,
                    bounds::SPEED_MBPS,
                    true,
                );
                let up = number(
                    errors,
                    "upload_mbps",
                    self.upload_mbps,
                    bounds::SPEED_MBPS,
                    true,
                );
                Some(ProductSpec::Internet(InternetSpec {
                    pppoe_profile: profile?,
                    download_mbps: down?,
                    upload_mbps: up?,
                }))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn check(kind: ProductKind, input: SpecInput) -> Result<ProductSpec, Vec<String>> {
        let mut errors = ValidationErrors::new();
        let spec = input.validate(kind, &mut errors);
        match (spec, errors.is_empty()) {
            (Some(spec), true) => Ok(spec),
            _ => Err(errors
                .errors()
                .iter()
                .map(|error| format!("{}:{}", error.field, error.code))
                .collect()),
        }
    }

    #[test]
    fn a_vps_needs_cores_ram_disk_a_region_and_a_template() {
        let errors = check(ProductKind::Vps, SpecInput::default()).unwrap_err();
        for expected in [
            "spec.cores:required",
            "spec.ram_mb:required",
            "spec.disk_gb:required",
            "spec.regions:required",
            "spec.os_templates:required",
        ] {
            assert!(errors.contains(&expected.to_owned()), "{errors:?}");
        }
        let input = SpecInput {
            cores: Some(2),
            ram_mb: Some(4096),
            disk_gb: Some(60),
            rate_limit_mbps: Some(100),
            regions: Some(vec!["sby".into(), " jkt ".into(), "jkt".into()]),
            os_templates: Some(vec!["ubuntu-24.04".into()]),
            ..SpecInput::default()
        };
        assert_eq!(
            input.region_codes(),
            ["jkt", "sby"],
            "trimmed and deduplicated"
        );
        let valid = check(ProductKind::Vps, input).unwrap();
        assert_eq!(valid.kind(), ProductKind::Vps);
    }

    #[test]
    fn absurd_numbers_and_fields_of_another_kind_are_refused() {
        let errors = check(
            ProductKind::Vps,
            SpecInput {
                cores: Some(0),
                ram_mb: Some(i64::MAX),
                disk_gb: Some(-1),
                tld: Some("com".into()),
                regions: Some(vec!["jkt".into()]),
                os_templates: Some(vec!["debian-12".into()]),
                ..SpecInput::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "spec.tld:not_for_kind",
                "spec.cores:out_of_range",
                "spec.ram_mb:out_of_range",
                "spec.disk_gb:out_of_range",
            ]
        );
    }

    #[test]
    fn each_kind_reads_its_own_fields() {
        let domain = check(
            ProductKind::Domain,
            SpecInput {
                tld: Some(".Co.ID".into()),
                ..SpecInput::default()
            },
        )
        .unwrap();
        assert_eq!(
            domain,
            ProductSpec::Domain(DomainSpec {
                tld: "co.id".into()
            })
        );
        assert!(
            check(
                ProductKind::Domain,
                SpecInput {
                    tld: Some("c om".into()),
                    ..SpecInput::default()
                }
            )
            .is_err()
        );

        let package = check(
            ProductKind::DataPackage,
            SpecInput {
                provider_sku: Some("XL-XTRA-10".into()),
                operator: Some("XL".into()),
                quota_mb: Some(10_240),
                validity_days: Some(30),
                ..SpecInput::default()
            },
        )
        .unwrap();
        assert!(matches!(
            package,
            ProductSpec::DataPackage(DataPackageSpec {
                operator: Operator::Xl,
                ..
            })
        ));
        let unknown_operator = check(
            ProductKind::DataPackage,
            SpecInput {
                provider_sku: Some("X".into()),
                operator: Some("vodafone".into()),
                quota_mb: Some(1),
                validity_days: Some(1),
                ..SpecInput::default()
            },
        )
        .unwrap_err();
        assert_eq!(unknown_operator, ["spec.operator:unknown"]);

        let digital = check(ProductKind::Digital, SpecInput::default()).unwrap();
        assert_eq!(
            digital,
            ProductSpec::Digital(DigitalSpec {
                terms_id: None,
                terms_en: None
            })
        );
        let internet = check(
            ProductKind::Internet,
            SpecInput {
                pppoe_profile: Some("20 Mbps".into()),
                download_mbps: Some(20),
                upload_mbps: Some(5),
                ..SpecInput::default()
            },
        )
        .unwrap_err();
        assert_eq!(internet, ["spec.pppoe_profile:invalid_format"]);
    }

    #[test]
    fn a_stored_spec_round_trips_through_json_with_its_kind() {
        let spec = ProductSpec::Hosting(HostingSpec {
            whm_package: "juragan_basic".into(),
            disk_mb: Some(2048),
            bandwidth_gb: None,
            addon_domains: 1,
        });
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["kind"], "hosting");
        assert_eq!(serde_json::from_value::<ProductSpec>(json).unwrap(), spec);
    }
}
