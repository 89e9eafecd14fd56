// How every log line, firmware or host, shows a secret (access token, Wi-Fi password, provision
// secret): enough to tell two apart, never enough to use.

/** The first two characters and "***"; a secret of 4 characters or fewer shows only "***". */
export function mask(secret: string): string {
  return (secret.length > 4 ? secret[0] + secret[1] : "") + "***";
}
