// MSG91 SendOTP v5 (`POST /api/v5/otp`) as VENDORS §2 documents it: parameters in the query string, `authkey`
// as header or query parameter, mobile = country code + number with no '+', own `otp` of 4–9 digits, optional
// JSON body of template variables. Answers in MSG91's envelope — `{"type":"success","request_id":…}` or
// `{"type":"error","message":…}` — with HTTP 200 even for errors (VENDORS §2.0 [U]), so a client that trusts the
// HTTP status instead of `type` fails its tests.
import { randomBytes } from 'node:crypto';
import { mediaType, Rejected, startStandInServer, type Reply, type StandInServer } from './stand-in-server.js';

export interface Msg91Failure { message: string; status?: number }

export interface Msg91OtpRecord {
  requestId: string; templateId: string; mobile: string; otp: string | null;
  otpLength: number | null; otpExpiry: number | null; authkeyIn: 'header' | 'query';
}

export interface Msg91StandIn extends StandInServer<Msg91Failure> {
  readonly authKey: string;
  readonly templateId: string;
  /** valid send-OTP requests that were answered with success */
  readonly otps: Msg91OtpRecord[];
}

const QUERY_FIELDS = ['template_id', 'mobile', 'authkey', 'otp', 'otp_length', 'otp_expiry', 'userip', 'email', 'invisible', 'unicode', 'extra_param', 'realTimeResponse'];

function msg91Error(message: string, status = 200): Reply {
  return { status, json: { type: 'error', message } };
}

export async function startMsg91StandIn(): Promise<Msg91StandIn> {
  const authKey = `${randomBytes(3).toString('hex')}A${randomBytes(10).toString('hex')}`;
  const templateId = randomBytes(12).toString('hex');
  const otps: Msg91OtpRecord[] = [];

  const server = await startStandInServer<Msg91Failure>((call, core) => {
    if (call.path.replace(/\/$/, '') !== '/api/v5/otp') throw new Rejected(`no such endpoint ${call.path}`, msg91Error('Not Found', 404));
    if (call.method !== 'POST') throw new Rejected(`${call.method} instead of POST`, msg91Error('Method Not Allowed', 405));
    for (const key of new Set(call.query.keys())) {
      if (!QUERY_FIELDS.includes(key)) throw new Rejected(`unknown parameter ${key}`, msg91Error(`Unknown parameter ${key}`));
      if (call.query.getAll(key).length > 1) throw new Rejected(`parameter ${key} given twice`, msg91Error(`Duplicate parameter ${key}`));
    }
    const headerKey = call.headers.authkey;
    const queryKey = call.query.get('authkey');
    if (headerKey === undefined && queryKey === null) throw new Rejected('authkey neither in header nor in query', msg91Error('Authentication failure'));
    if (headerKey !== undefined && queryKey !== null && headerKey !== queryKey) throw new Rejected('two different authkeys', msg91Error('Authentication failure'));
    if (call.body.length > 0) {
      // Template variables may come as a JSON object body (VENDORS §2.1 [T]); nothing else may.
      let variables: unknown;
      try {
        variables = mediaType(call.headers) === 'application/json' ? JSON.parse(call.body) : undefined;
      } catch {
        variables = undefined;
      }
      if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
        throw new Rejected('a body must be a JSON object of template variables', msg91Error('Invalid body'));
      }
    }
    const template = call.query.get('template_id');
    if (!template) throw new Rejected('template_id missing', msg91Error('Missing template id'));
    const mobile = call.query.get('mobile') ?? '';
    if (!/^[1-9]\d{9,14}$/.test(mobile)) throw new Rejected(`mobile "${mobile}" is not country code + number in digits`, msg91Error('Mobile no. is invalid'));
    const otp = call.query.get('otp');
    if (otp !== null && !/^\d{4,9}$/.test(otp)) throw new Rejected('otp is not 4–9 digits', msg91Error('Invalid OTP'));
    const otpLength = integer(call.query.get('otp_length'));
    if (otpLength !== null && (Number.isNaN(otpLength) || otpLength < 4 || otpLength > 9 || (otp !== null && otp.length !== otpLength))) {
      throw new Rejected('otp_length not 4–9 or not the length of otp', msg91Error('Invalid otp_length'));
    }
    const otpExpiry = integer(call.query.get('otp_expiry'));
    if (otpExpiry !== null && (Number.isNaN(otpExpiry) || otpExpiry < 1)) throw new Rejected('otp_expiry is not a number of minutes', msg91Error('Invalid otp_expiry'));
    // Well-formed but not this account's: the operator's mistake, answered as MSG91 would (not a rejection).
    if ((headerKey ?? queryKey) !== authKey) return msg91Error('Authentication failure');
    if (template !== templateId) return msg91Error('Invalid template id');
    const failure = core.takeFailure();
    if (failure) return msg91Error(failure.message, failure.status);
    const requestId = randomBytes(12).toString('hex');
    otps.push({ requestId, templateId: template, mobile, otp, otpLength, otpExpiry, authkeyIn: headerKey !== undefined ? 'header' : 'query' });
    return { status: 200, json: { type: 'success', request_id: requestId } };
  });

  return Object.assign(server, { authKey, templateId, otps });
}

function integer(value: string | null): number | null {
  if (value === null) return null;
  return /^\d+$/.test(value) ? Number(value) : NaN;
}
