// The build (tools/build) validates device.config.json and the server certificate, then serves this
// module to rollup as one constant object: the firmware never parses configuration at run time.
declare module "device-config" {
  const CONFIG: import("./config").FirmwareConfig;
  export default CONFIG;
}
