//! Commands of seed 003's transfer chain (发放物资, 扫码绑定, 通知转运, 接人上车, 隔离酒店): one thin
//! call each into `outpost_app_core::transfer_chain`. Names and inputs are `contract.ts`'s.

use outpost_app_core::transfer_chain::roll_call::{ScanInput, ScanResult};
use outpost_app_core::transfer_chain::supplies::{
    AdjustInput, IssueInput, IssueResult, ReceiveInput, StockInput, StockReport, SupplyItemView,
};
use outpost_app_core::transfer_chain::transfers::{
    AssignVehicleInput, CancelTransferInput, TransferDetail, TransferNoticeInput, TransferRef,
    TransferRow, TransfersInput,
};
use outpost_app_core::transfer_chain::wristbands::{BindInput, ReplaceInput, UnbindInput};
use outpost_app_core::views::PersonDetail;
use tauri::State;

use crate::{Reply, Shared};

#[tauri::command]
pub(crate) async fn supply_catalogue(state: State<'_, Shared>) -> Reply<Vec<SupplyItemView>> {
    Ok(state.core().supply_catalogue())
}

#[tauri::command]
pub(crate) async fn stock_report(
    state: State<'_, Shared>,
    input: StockInput,
) -> Reply<StockReport> {
    state.core().stock_report(&input)
}

#[tauri::command]
pub(crate) async fn receive_stock(
    state: State<'_, Shared>,
    input: ReceiveInput,
) -> Reply<StockReport> {
    state.core().receive_stock(&input)
}

#[tauri::command]
pub(crate) async fn adjust_stock(
    state: State<'_, Shared>,
    input: AdjustInput,
) -> Reply<StockReport> {
    state.core().adjust_stock(&input)
}

#[tauri::command]
pub(crate) async fn issue_supplies(
    state: State<'_, Shared>,
    input: IssueInput,
) -> Reply<IssueResult> {
    state.core().issue_supplies(&input)
}

#[tauri::command]
pub(crate) async fn bind_wristband(
    state: State<'_, Shared>,
    input: BindInput,
) -> Reply<PersonDetail> {
    state.core().bind_wristband(&input)
}

#[tauri::command]
pub(crate) async fn replace_wristband(
    state: State<'_, Shared>,
    input: ReplaceInput,
) -> Reply<PersonDetail> {
    state.core().replace_wristband(&input)
}

#[tauri::command]
pub(crate) async fn unbind_wristband(
    state: State<'_, Shared>,
    input: UnbindInput,
) -> Reply<PersonDetail> {
    state.core().unbind_wristband(&input)
}

#[tauri::command]
pub(crate) async fn transfer_notice(
    state: State<'_, Shared>,
    input: TransferNoticeInput,
) -> Reply<TransferDetail> {
    state.core().transfer_notice(&input)
}

#[tauri::command]
pub(crate) async fn transfers(
    state: State<'_, Shared>,
    input: TransfersInput,
) -> Reply<Vec<TransferRow>> {
    state.core().transfers(&input)
}

#[tauri::command]
pub(crate) async fn transfer(
    state: State<'_, Shared>,
    input: TransferRef,
) -> Reply<TransferDetail> {
    state.core().transfer(&input)
}

#[tauri::command]
pub(crate) async fn assign_vehicle(
    state: State<'_, Shared>,
    input: AssignVehicleInput,
) -> Reply<TransferDetail> {
    state.core().assign_vehicle(&input)
}

#[tauri::command]
pub(crate) async fn cancel_transfer(
    state: State<'_, Shared>,
    input: CancelTransferInput,
) -> Reply<TransferDetail> {
    state.core().cancel_transfer(&input)
}

#[tauri::command]
pub(crate) async fn boarding_scan(state: State<'_, Shared>, input: ScanInput) -> Reply<ScanResult> {
    state.core().boarding_scan(&input)
}

#[tauri::command]
pub(crate) async fn complete_pickup(
    state: State<'_, Shared>,
    input: TransferRef,
) -> Reply<TransferDetail> {
    state.core().complete_pickup(&input)
}

#[tauri::command]
pub(crate) async fn hotel_scan(state: State<'_, Shared>, input: ScanInput) -> Reply<ScanResult> {
    state.core().hotel_scan(&input)
}

#[tauri::command]
pub(crate) async fn hotel_receive(
    state: State<'_, Shared>,
    input: TransferRef,
) -> Reply<TransferDetail> {
    state.core().hotel_receive(&input)
}
