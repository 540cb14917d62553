// TOTP (RFC 6238) with otplib: a 160-bit secret, 6 digits, 30-second steps, codes accepted one step either side
// (±30 s of clock drift), and the matched time step returned so the caller can refuse it a second time.
import { generateSecret, generateURI, verify } from 'otplib';

const PERIOD = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** what an authenticator app scans: the otpauth URI and its QR code as a data URL (no request leaves the page) */
export async function totpProvisioning(input: { secret: string; issuer: string; account: string }): Promise<{ uri: string; qrDataUrl: string }> {
  const uri = generateURI({ issuer: input.issuer, label: input.account, secret: input.secret });
  // loaded on the first enrolment: a process that never enrols a factor (the CLI) never needs it
  const { default: QRCode } = await import('qrcode');
  return { uri, qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 200 }) };
}

/** @returns the time step the code belongs to, or null when it matches none of the accepted steps */
export async function totpStep(secret: string, code: string, now = Date.now()): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const result = await verify({ secret, token: code, epoch: Math.floor(now / 1000), epochTolerance: PERIOD }).catch(() => ({ valid: false as const }));
  return result.valid && 'timeStep' in result && typeof result.timeStep === 'number' ? result.timeStep : null;
}
