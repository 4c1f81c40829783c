import { useEffect, useState } from 'preact/hooks';

export type Lang = 'zh' | 'en';

const dict = {
  'page.checkout': ['结算台', 'Checkout'],
  'page.kitchen': ['后厨看板', 'Kitchen'],
  'page.energy': ['能耗看板', 'Energy'],
  'page.admin': ['管理', 'Admin'],
  'lang.toggle': ['English', '中文'],
  'conn.connected': ['已连接', 'Connected'],
  'conn.reconnecting': ['重新连接中…', 'Reconnecting…'],
  'conn.offline': ['离线，自 {t}', 'Offline since {t}'],
  'state.starting': ['启动中', 'Starting'],
  'state.online': ['在线', 'Online'],
  'state.degraded': ['降级', 'Degraded'],
  'state.offline': ['离线', 'Offline'],
  'state.since': ['{state}，自 {t}', '{state} since {t}'],
  'kind.meter': ['电表', 'Meter'],
  'kind.scale': ['电子秤', 'Scale'],
  'kind.camera': ['摄像头', 'Camera'],
  'checkout.prompt': ['请将餐盘放在秤上', 'Place your plate on the scale'],
  'checkout.net': ['净重', 'Net'],
  'checkout.gross': ['毛重', 'Gross'],
  'checkout.stable': ['稳定', 'Stable'],
  'checkout.unstable': ['称量中…', 'Weighing…'],
  'checkout.overload': ['超载', 'Overload'],
  'checkout.underload': ['欠载', 'Underload'],
  'checkout.noScale': ['未找到电子秤', 'No scale found'],
  'checkout.scaleDown': ['电子秤{state}，自 {t}', 'Scale {state} since {t}'],
  'energy.total': ['总有功功率', 'Total active power'],
  'energy.excluded': ['{n} 台离线电表未计入', '{n} offline meter(s) not included'],
  'energy.power': ['有功功率', 'Active power'],
  'energy.energy': ['正向有功电能', 'Energy imported'],
  'energy.noMeters': ['暂无电表', 'No meters'],
  'energy.noReading': ['暂无读数', 'No reading yet'],
  'energy.updated': ['更新于 {t}', 'Updated {t}'],
  'energy.point': ['测点', 'Point'],
  'energy.value': ['数值', 'Value'],
  'kitchen.noCameras': ['暂无摄像头', 'No cameras'],
  'kitchen.noFrame': ['暂无画面', 'No frame yet'],
  'kitchen.frameAt': ['画面时间 {t}', 'Frame at {t}'],
  'admin.site': ['站点', 'Site'],
  'admin.version': ['版本', 'Version'],
  'admin.uptime': ['运行时长', 'Uptime'],
  'admin.devices': ['设备', 'Devices'],
  'admin.device': ['设备', 'Device'],
  'admin.kind': ['类型', 'Kind'],
  'admin.state': ['状态', 'State'],
  'admin.since': ['状态起始', 'Since'],
  'admin.lastGood': ['最后正常', 'Last good'],
  'admin.lastError': ['最后错误', 'Last error'],
  'admin.noDevices': ['暂无设备', 'No devices'],
  'point.power_total': ['总有功功率', 'Total active power'],
  'point.energy_import': ['正向有功电能', 'Energy imported'],
  'point.energy_export': ['反向有功电能', 'Energy exported'],
  'point.voltage_l1': ['A 相电压', 'Voltage L1'],
  'point.voltage_l2': ['B 相电压', 'Voltage L2'],
  'point.voltage_l3': ['C 相电压', 'Voltage L3'],
  'point.current_l1': ['A 相电流', 'Current L1'],
  'point.current_l2': ['B 相电流', 'Current L2'],
  'point.current_l3': ['C 相电流', 'Current L3'],
  'point.power_l1': ['A 相有功功率', 'Active power L1'],
  'point.power_l2': ['B 相有功功率', 'Active power L2'],
  'point.power_l3': ['C 相有功功率', 'Active power L3'],
  'point.energy_total': ['总有功电能', 'Energy total'],
  'point.frequency': ['频率', 'Frequency'],
  'point.power_factor': ['功率因数', 'Power factor'],
} satisfies Record<string, [string, string]>;

export type Key = keyof typeof dict;
export type T = (key: Key, vars?: Record<string, string | number>) => string;

const STORAGE_KEY = 'canteen-edge.lang';
const listeners = new Set<(l: Lang) => void>();

function readLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

let current = readLang();

export function setLang(lang: Lang): void {
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch { /* storage disabled: keep the choice for this page only */ }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const l of listeners) l(lang);
}

export function translate(lang: Lang, key: Key, vars?: Record<string, string | number>): string {
  const text = dict[key][lang === 'zh' ? 0 : 1];
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : text;
}

export function hasKey(key: string): key is Key {
  return Object.hasOwn(dict, key);
}

export function useLang(): { lang: Lang; t: T } {
  const [lang, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
    return () => { listeners.delete(set); };
  }, []);
  return { lang, t: (key, vars) => translate(lang, key, vars) };
}
