// The energy classification and sub-item codes (分类 / 分项能耗编码) that building
// energy monitoring platforms take in `<function coding>`, as data: the config checks
// codes against this table, reports and the energy panel show the Chinese name.
//
// Sources, as far as we could follow them here (the standards' own text was not
// available on this machine; see docs and ../shared/DOMAIN.md):
// - 《国家机关办公建筑和大型公共建筑能耗监测系统 分项能耗数据采集技术导则》(MOHURD 2008),
//   its classification codes (01000 electricity … 06000 other energy) and the electricity
//   sub-items 照明插座用电, 空调用电, 动力用电, 特殊用电, with their first-level items;
// - JGJ/T 285-2012 《公共建筑能耗远程监测系统技术规程》 Appendix B, which keeps that code
//   structure (2-digit class, one letter for the sub-item, one digit per level);
// - DOMAIN.md ("Sub-item codes used by building energy platforms"; "Corrections and
//   additions", 2026-12-07): 01D20 for the kitchen; 01D2A/01D2B are NOT confirmed by any
//   source (kept because existing sites use them; `confirmed: false`).
// The 2008 guideline lists the special-use items 信息中心, 洗衣房, 厨房餐厅, 游泳池, 健身房,
// 其他 by name; only the kitchen's code (01D20) was found in a source. The others are
// in SPECIAL_USE_WITHOUT_CODE, not given invented codes.

export interface SubItem {
  /** five characters: class (2 digits), sub-item (letter or 0), first level, second level */
  code: string;
  zh: string;
  en: string;
  /** the code one level up (01A10 → 01A00 → 01000); null for a class */
  parent: string | null;
  /** false: used by platforms or older configs, but not found in the standards we could consult */
  confirmed: boolean;
}

const item = (code: string, zh: string, en: string, parent: string | null, confirmed = true): SubItem => ({ code, zh, en, parent, confirmed });

export const SUB_ITEMS: readonly SubItem[] = [
  // classification (分类能耗), 2008 guideline / JGJ/T 285 Appendix B
  item('01000', '电', 'Electricity', null),
  item('02000', '水', 'Water', null),
  item('03000', '燃气', 'Gas', null),
  item('04000', '集中供热量', 'District heating', null),
  item('05000', '集中供冷量', 'District cooling', null),
  item('06000', '其他能源', 'Other energy', null),
  // electricity sub-items (分项能耗) and their first-level items
  item('01A00', '照明插座用电', 'Lighting & sockets', '01000'),
  item('01A10', '照明与插座', 'Indoor lighting & sockets', '01A00'),
  item('01A20', '走廊与应急照明', 'Corridor & emergency lighting', '01A00'),
  item('01A30', '室外景观照明', 'Outdoor & landscape lighting', '01A00'),
  item('01B00', '空调用电', 'HVAC', '01000'),
  item('01B10', '冷热站', 'Chiller & boiler plant', '01B00'),
  item('01B20', '空调末端', 'HVAC terminals', '01B00'),
  item('01C00', '动力用电', 'Power', '01000'),
  item('01C10', '电梯', 'Lifts', '01C00'),
  item('01C20', '水泵', 'Pumps', '01C00'),
  item('01C30', '通风机', 'Fans', '01C00'),
  item('01D00', '特殊用电', 'Special use', '01000'),
  item('01D20', '厨房餐厅', 'Kitchen & dining', '01D00'),
  item('01D2A', '炊事', 'Cooking', '01D20', false),
  item('01D2B', '厨房通风', 'Kitchen ventilation', '01D20', false),
];

/** Special-use items the 2008 guideline names without a code we could confirm. */
export const SPECIAL_USE_WITHOUT_CODE: readonly { zh: string; en: string }[] = [
  { zh: '信息中心', en: 'Data centre' },
  { zh: '洗衣房', en: 'Laundry' },
  { zh: '游泳池', en: 'Swimming pool' },
  { zh: '健身房', en: 'Gym' },
  { zh: '其他', en: 'Other' },
];

const BY_CODE = new Map(SUB_ITEMS.map((s) => [s.code, s]));

export function subItem(code: string): SubItem | undefined {
  return BY_CODE.get(code);
}

/** The Chinese name of a code, or undefined when it is not in the table. */
export function subItemName(code: string): string | undefined {
  return BY_CODE.get(code)?.zh;
}

/** How far apart two codes are: a differing class or sub-item letter counts more than a differing level digit. */
function distance(a: string, b: string): number {
  const weights = [8, 8, 4, 2, 1];
  if (a.length === b.length && a.length === weights.length) return [...a].reduce((d, c, i) => d + (c === b[i] ? 0 : weights[i]!), 0);
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return 8 * dp[a.length]![b.length]!;
}

/** The table's codes closest to `code` (upper-cased first), best first, at most `n`. */
export function nearestSubItems(code: string, n = 3): SubItem[] {
  const want = code.toUpperCase();
  return SUB_ITEMS.map((s) => ({ s, d: distance(want, s.code) }))
    .sort((a, b) => a.d - b.d || a.s.code.localeCompare(b.s.code))
    .slice(0, n)
    .map((x) => x.s);
}

/** The config error for a code outside the table (the config check prefixes the value): the nearest valid codes with their Chinese names. */
export function unknownSubItemMessage(code: string): string {
  const near = nearestSubItems(code)
    .map((s) => `${s.code} ${s.zh}`)
    .join(', ');
  return `not in the sub-item code table (分项能耗编码); nearest valid codes: ${near}`;
}
