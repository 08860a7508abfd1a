//! Supplies (物资): the catalogue of what communities hand out, and each community's stock
//! ledger (物资台账).
//!
//! A ledger is a record of kind `SupplyLedger`, one per community, whose events are stock
//! movements — received (入库), issued (发放, naming the person), adjusted (盘点调整). Stock is the
//! fold of the movements, never a stored number, so movements made on several offline devices
//! add up exactly when they sync: nothing is overwritten. Every device may need the ledger before
//! it has ever synced it, so the ledger starts with a deterministic first change
//! (`Record::create_genesis`): two devices creating it offline create the same record.
//!
//! Issuing more than the ledger knows to be in stock is allowed (the truck may have come while
//! the device was offline); the fold then marks the ledger `StockBelowZero` for that item, which
//! the review list shows until a receipt or adjustment brings it back to zero or above.

mod catalogue;
mod ledger;

#[cfg(test)]
mod tests;

pub use catalogue::{Catalogue, CatalogueError, SupplyItem};
pub use ledger::{
    LedgerState, Movement, MovementKind, StockLine, fold_ledger, ledger_id, new_ledger,
};
