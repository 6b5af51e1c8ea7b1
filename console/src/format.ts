/** A timestamp to the minute, in UTC: `2026-12-08 19:28 UTC`. */
export const minute = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
