// drivers/scale: checkout scales behind one interface. See README.md.
export { createScale, scaleTransport, type CreateScaleOptions } from './create.ts';
export { SCALE_PROTOCOLS, SCALE_PROTOCOL_ENTRIES, isApprovableProtocol, scaleProtocolEntry, type ScaleProtocol, type ScaleProtocolEntry } from './protocols.ts';
export { scaleDeviceSchema, scaleTransportSchema, weightRegistersSchema, linePatternSchema, type ScaleDeviceConfig, type ScaleDeviceInput } from './config.ts';
export {
  ScaleCommandError,
  ScaleNotSupported,
  type ScaleCapabilities,
  type ScaleCounters,
  type ScaleDriver,
  type ScaleDriverEvents,
  type ScaleLinkState,
  type ScaleStateChange,
} from './driver.ts';
export { roundToInterval, isWholeInterval } from './interval.ts';
export { StabilityFilter, type StabilityOptions } from './stability.ts';
export type { ScaleReading, StableBy, WeightReading } from './reading.ts';
export { parseContinuousLine, compileLinePattern, type LinePattern } from './continuous.ts';
export { parseMtSicsReply } from './mt-sics.ts';
export { parseToledoFrame, decodeToledoStatus, encodeToledoStatus } from './toledo.ts';
export { decodeWeight, planWeightReads, type WeightRegisterMap } from './modbus-weight.ts';
export { Hx711, onoffPins, GpioUnavailable, type PinFactory, type InputPin, type OutputPin, type Hx711Gain } from './hx711.ts';
export { Hx711Scale, loadCalibration, saveCalibration, type Hx711Calibration } from './hx711-driver.ts';
