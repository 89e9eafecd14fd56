// Sensirion SHT4x (SHT40, SHT41, SHT45) at 0x44 (0x45, 0x46 for some part numbers): a measurement at
// high precision (command 0xFD, 8.3 ms at most, datasheet table 7). Humidity is -6 + 125 × word / 65535,
// which the datasheet says to crop to 0-100 %RH.
import { i2cDevice } from "./i2c";
import { sensirionSensor } from "./sensirion";
import type { Sensor } from "./sensor";

export function sht4x(sda: number, scl: number, address: number): Sensor {
  return sensirionSensor("SHT4x", i2cDevice(sda, scl, address), [0xfd], 10, (w) => Math.max(0, Math.min(100, -6 + (125 * w) / 65535)));
}
