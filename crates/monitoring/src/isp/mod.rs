//! ISP customers on MikroTik routers (SPEC C7, seed 004): the routers
//! ([`router`]), the customers on them ([`customer`]), the PPPoE status sync
//! ([`sync`]) and the customers' Excel import and export ([`workbook`]).
//! Isolating a customer (changing their PPP secret) is provisioning's work;
//! this module only reads routers.

pub mod customer;
pub mod router;
pub mod sync;
pub mod workbook;
