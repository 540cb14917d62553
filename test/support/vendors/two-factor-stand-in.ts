// 2Factor.in's send-OTP endpoints as VENDORS §3 describes them: `GET|POST /API/V1/{api_key}/SMS/{phone}/{otp}`
// with an optional `/{template_name}`, `{otp}` being the caller's code or AUTOGEN. India only: the phone is a
// 10-digit Indian mobile, bare or with 91 / +91. Answers `{"Status":"Success","Details":<session id>}` or
// `{"Status":"Error","Details":<reason>}` — errors with HTTP 400, as observed for "OTP Mismatch" (error texts [U]).
import { randomUUID } from 'node:crypto';
import { Rejected, startStandInServer, type Reply, type StandInServer } from './stand-in-server.js';

export interface TwoFactorFailure { details: string; status?: number }

export interface TwoFactorRecord { sessionId: string; phone: string; otp: string; template: string | null }

export interface TwoFactorStandIn extends StandInServer<TwoFactorFailure> {
  readonly apiKey: string;
  /** template names approved in the (pretend) 2Factor panel */
  readonly templates: string[];
  /** valid send requests that were answered with success */
  readonly sent: TwoFactorRecord[];
}

function twoFactorError(details: string, status = 400): Reply {
  return { status, json: { Status: 'Error', Details: details } };
}

export async function startTwoFactorStandIn(options: { templates?: string[] } = {}): Promise<TwoFactorStandIn> {
  const apiKey = randomUUID();
  const templates = options.templates ?? ['LOGIN_OTP'];
  const sent: TwoFactorRecord[] = [];

  const server = await startStandInServer<TwoFactorFailure>((call, core) => {
    const match = /^\/API\/V1\/([^/]+)\/SMS\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(call.path);
    if (!match) throw new Rejected(`no such endpoint ${call.path.replace(apiKey, '{api_key}')}`, twoFactorError('Invalid Request', 404));
    if (call.method !== 'GET' && call.method !== 'POST') throw new Rejected(`${call.method} instead of GET`, twoFactorError('Invalid Request', 405));
    const [key, phone, otp, template] = match.slice(1).map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
    if (call.query.size > 0 || call.body.length > 0) throw new Rejected('everything goes in the path', twoFactorError('Invalid Request'));
    if (!/^\+?\d{10,15}$/.test(phone!)) throw new Rejected(`phone "${phone}" is not digits with country code`, twoFactorError('Invalid Phone Number - Check Number Format'));
    if (!/^(\d{4,8}|AUTOGEN[23]?)$/.test(otp!)) throw new Rejected('otp is neither 4–8 digits nor AUTOGEN', twoFactorError('Invalid OTP - OTP must be 4 to 8 digits'));
    // Well-formed but wrong for this account or this service: a vendor error for the client to map, not a rejection.
    if (key !== apiKey) return twoFactorError('Invalid API Key - Check the API key you have entered');
    if (!/^(\+?91)?[6-9]\d{9}$/.test(phone!)) return twoFactorError('Invalid Phone Number - Check Number Format');
    if (template !== undefined && !templates.includes(template)) return twoFactorError('Template Name Does Not Exist');
    const failure = core.takeFailure();
    if (failure) return twoFactorError(failure.details, failure.status);
    const sessionId = randomUUID();
    const code = otp!.startsWith('AUTOGEN') ? String(Math.floor(100000 + Math.random() * 900000)) : otp!;
    sent.push({ sessionId, phone: phone!, otp: code, template: template ?? null });
    return { status: 200, json: { Status: 'Success', Details: sessionId } };
  });

  return Object.assign(server, { apiKey, templates, sent });
}
