// Outcome trees shaped like the shipped programs (assets/programs/*.toml), as the Rust side
// would send them in ProgramView.outcomes.

import { type OutcomeNode } from "../src/contract.js";

export function node(
  code: string,
  children: OutcomeNode[] = [],
  extra: Partial<OutcomeNode> = {},
): OutcomeNode {
  return {
    code,
    label: code,
    note: "optional",
    note_hint: null,
    report_to_cdc: false,
    forward: false,
    children,
    ...extra,
  };
}

/** W1 (seed 000, 2.4): 本区 / 不在本区 / 无法落地, three levels deep. */
export const W1_TREE: OutcomeNode[] = [
  node("in_district", [
    node("central_quarantine", [
      node("zhujiang_jiayuan"),
      node("yuexiu_dongpo"),
      node("other_site", [], { note: "required", note_hint: "备注填写隔离点名称" }),
    ]),
    node("home_quarantine", [node("elderly"), node("child_14_or_under")]),
    node("no_quarantine_room"),
  ]),
  node("not_in_district", [
    node("other_province", [], { note: "required", note_hint: "备注填写地址（含省+市+区）" }),
    node("other_city_or_district", [
      node("this_city", [], { note: "required" }),
      node("other_city", [], { note: "required" }),
    ]),
  ]),
  node("cannot_locate", [], { note: "required", note_hint: "备注填写原因" }),
];

/** W2 (seed 003): the seven scenarios, roots only. */
export const W2_TREE: OutcomeNode[] = [
  node("central_observation", [], { note: "required" }),
  node("home_quarantine", [], { note: "none" }),
  node("other_community_in_town", [], { forward: true, note: "none" }),
  node("other_district_in_city", [], { report_to_cdc: true, note: "required" }),
  node("outside_city", [], { report_to_cdc: true, note: "required" }),
  node("refuses_address", [], { report_to_cdc: true, note: "required" }),
  node("unreachable", [], { report_to_cdc: true, note: "required" }),
];
