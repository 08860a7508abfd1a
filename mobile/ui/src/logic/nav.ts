// Which screens the navigation offers: what the user's programs and role have a use for. A W1
// town worker has no transfers or supplies, so 转运 and 物资 are not offered to them.

import { type ProgramSummary } from "../contract.js";

export type NavScreen = "tasks" | "transfers" | "supplies" | "reviews" | "reminders" | "settings";

/** Roles of the transfer chain that work on transfers, not on persons' tasks or supplies. */
const TRANSFER_ROLES = ["escort", "dispatcher", "hotel"];

export function navScreens(role: string, programs: Pick<ProgramSummary, "transfers" | "supplies">[]): NavScreen[] {
  const chainRole = TRANSFER_ROLES.includes(role);
  const transfers = chainRole || programs.some((p) => p.transfers);
  // Supplies are issued by the community's own staff, not by the escort, dispatcher or hotel.
  const supplies = !chainRole && programs.some((p) => p.supplies);
  const screens: NavScreen[] = ["tasks"];
  if (transfers) screens.push("transfers");
  if (supplies) screens.push("supplies");
  screens.push("reviews", "reminders", "settings");
  return screens;
}
