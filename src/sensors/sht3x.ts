// Sensirion SHT3x (SHT30, SHT31, SHT35) at 0x44, or 0x45 with ADDR high: a single-shot measurement at
// high repeatability without clock stretching (command 0x2400), read once it is done (15 ms at most,
// datasheet table 4). Humidity is 100 × word / 65535 %RH.
import { i2cDevice } from "./i2c";
import { sensirionSensor } from "./sensirion";
import type { Sensor } from "./sensor";

export function sht3x(sda: number, scl: number, address: number): Sensor {
  return sensirionSensor("SHT3x", i2cDevice(sda, scl, address), [0x24, 0x00], 20, (w) => (100 * w) / 65535);
}
