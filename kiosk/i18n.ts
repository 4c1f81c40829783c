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
  'energy.live': ['实时', 'Live'],
  'energy.offlineMeters': ['{n} 台电表无数据：{names}', '{n} meter(s) silent: {names}'],
  'energy.today': ['今日', 'Today'],
  'energy.month': ['本月', 'This month'],
  'energy.year': ['本年', 'This year'],
  'energy.electricity': ['电', 'Electricity'],
  'energy.water': ['水', 'Water'],
  'energy.kgce': ['标准煤', 'Std. coal'],
  'energy.co2': ['CO₂', 'CO₂'],
  'energy.noWaterMeter': ['未接入水表', 'No water meter'],
  'energy.chart24h': ['近 24 小时功率', 'Power · 24 h'],
  'energy.chart30d': ['近 30 天用电', 'Electricity · 30 days'],
  'energy.avg15m': ['15 分钟平均', '15-min average'],
  'energy.chart30dWater': ['用水', 'Water'],
  'energy.estimated': ['估算', 'Estimated'],
  'energy.inProgress': ['进行中', 'in progress'],
  'energy.latest': ['最新', 'Latest'],
  'energy.loading': ['加载中…', 'Loading…'],
  'energy.loadFailed': ['曲线数据加载失败，{t} 重试', 'Could not load the chart data; retrying at {t}'],
  'energy.indicators': ['年度指标', 'Yearly indicators'],
  'energy.ind.kgcePerPerson': ['人均综合能耗', 'Energy per person'],
  'energy.ind.kgcePerM2': ['单位面积能耗', 'Energy per m²'],
  'energy.ind.waterM3PerPerson': ['人均用水', 'Water per person'],
  'energy.ind.unit.kgcePerPerson': ['kgce/人', 'kgce/person'],
  'energy.ind.unit.kgcePerM2': ['kgce/m²', 'kgce/m²'],
  'energy.ind.unit.waterM3PerPerson': ['m³/人', 'm³/person'],
  'energy.ind.projected': ['全年预计', 'Projected'],
  'energy.ind.target': ['目标', 'Target'],
  'energy.ind.ytd': ['年初至今 {v}', 'Year to date {v}'],
  'energy.ind.under': ['低于目标 {p}%', '{p}% under target'],
  'energy.ind.over': ['超出目标 {p}%', '{p}% over target'],
  'energy.ind.noTarget': ['未设目标', 'No target'],
  'energy.ind.needs': ['需在配置中设置 {keys}', 'Set {keys} in the config'],
  'energy.groups': ['分项', 'Groups'],
  'energy.group': ['分组', 'Group'],
  'energy.todayKwh': ['今日电量', 'Today kWh'],
  'energy.todayWater': ['今日用水', 'Today water'],
  'energy.noGroups': ['未配置分项（energy.groups）', 'No groups configured (energy.groups)'],
  'energy.meters': ['计量表', 'Meters'],
  'energy.todayAmount': ['今日', 'Today'],
  'energy.counter': ['表底', 'Counter'],
  'energy.sub': ['分表', 'Sub-meter'],
  'energy.lastGood': ['最后数据 {t}', 'Last data {t}'],
  'energy.silentSince': ['{what}，自 {t}', '{what} since {t}'],
  'energy.morePoints': ['更多测点', 'More points'],
  'energy.anomalies': ['异常', 'Anomalies'],
  'energy.noAnomalies': ['近 24 小时无异常', 'No anomalies in the last 24 h'],
  'energy.anomalyTime': ['时间', 'Time'],
  'energy.anomalyMeter': ['表计', 'Meter'],
  'energy.anomalyKind': ['类型', 'Kind'],
  'energy.anomalyDetail': ['详情', 'Detail'],
  'energy.silent': ['通讯中断', 'No data'],
  'energy.silentDegraded': ['通讯不稳', 'Unstable link'],
  'anomaly.backwards': ['计数器回退', 'Counter went backwards'],
  'anomaly.reset': ['计数器重置（换表？）', 'Counter reset (meter swapped?)'],
  'anomaly.jump': ['计数器跳变', 'Counter jump'],
  'subItem.01000': ['电', 'Electricity'],
  'subItem.01A00': ['照明插座', 'Lighting & sockets'],
  'subItem.01B00': ['空调', 'HVAC'],
  'subItem.01C00': ['动力', 'Power'],
  'subItem.01C10': ['电梯', 'Lifts'],
  'subItem.01C20': ['水泵', 'Pumps'],
  'subItem.01C30': ['风机', 'Fans'],
  'subItem.01D00': ['特殊用电', 'Special'],
  'subItem.01D20': ['厨房', 'Kitchen'],
  'subItem.01D2A': ['炊事', 'Cooking'],
  'subItem.01D2B': ['厨房通风', 'Kitchen ventilation'],
  'subItem.02000': ['水', 'Water'],
  'subItem.03000': ['燃气', 'Gas'],
  'subItem.04000': ['热', 'Heat'],
  'subItem.05000': ['冷', 'Cooling'],
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
  'outbox.title': ['数据上报', 'Upstream delivery'],
  'outbox.noUplinks': ['未配置上报通道（数据保存在本机）', 'No uplinks configured (data is kept on this box)'],
  'outbox.uplink': ['上报通道', 'Uplink'],
  'outbox.since': ['自 {t}', 'since {t}'],
  'outbox.retryAt': ['{t} 重试', 'retry at {t}'],
  'outbox.held': ['本机保存 {n} 条', '{n} records held'],
  'outbox.deadLetters': ['被拒 {n} 条', '{n} dead letters'],
  'link.online': ['在线', 'Online'],
  'link.backing-off': ['重试中', 'Backing off'],
  'link.offline': ['离线', 'Offline'],
  'stream.readings': ['实时读数', 'Readings'],
  'stream.intervals': ['分时用量', 'Intervals'],
  'stream.transactions': ['交易', 'Transactions'],
  'stream.alerts': ['告警', 'Alerts'],
  'stream.events': ['事件', 'Events'],
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
