// Twilio's Messaging and Verify v2 REST APIs as VENDORS §1 documents them, on one local server (the paths do not
// overlap, so a test points both apiBaseUrl and verifyBaseUrl at it). Checks HTTP Basic AccountSid:AuthToken,
// form encoding, `Accept: application/json`, PascalCase field names and formats, and answers Twilio's error
// shape `{code, message, more_info, status}`. Verify keeps real verifications: generated codes, 5 wrong checks →
// 60202, 10-minute expiry → 404/20404, approved → gone.
import { randomBytes, randomInt } from 'node:crypto';
import { E164, mediaType, readForm, Rejected, startStandInServer, type IncomingCall, type Reply, type StandInServer } from './stand-in-server.js';

export interface TwilioFailure { status: number; code: number; message?: string }

export interface TwilioMessageRecord { sid: string; to: string; from: string | null; messagingServiceSid: string | null; body: string }

export interface TwilioVerificationRecord {
  sid: string; to: string; channel: string; code: string; customCode: boolean;
  status: 'pending' | 'approved' | 'expired' | 'max_attempts_reached';
  wrongChecks: number; createdAt: number;
}

export interface TwilioStandIn extends StandInServer<TwilioFailure> {
  readonly accountSid: string;
  readonly authToken: string;
  readonly serviceSid: string;
  /** valid Messages.json requests that were answered with success */
  readonly messages: TwilioMessageRecord[];
  readonly verifications: TwilioVerificationRecord[];
  /** moves the stand-in's clock (verification expiry) */
  advanceClock(ms: number): void;
}

const MESSAGE_FIELDS = ['To', 'From', 'MessagingServiceSid', 'Body', 'StatusCallback', 'MediaUrl', 'ContentSid', 'ContentVariables'];
const VERIFICATION_FIELDS = ['To', 'Channel', 'CustomCode', 'Locale', 'CustomFriendlyName', 'CustomMessage', 'TemplateSid',
  'TemplateCustomSubstitutions', 'AppHash', 'RateLimits', 'ChannelConfiguration', 'DeviceIp', 'RiskCheck', 'Tags'];
const CHECK_FIELDS = ['Code', 'To', 'VerificationSid', 'Amount', 'Payee', 'SnaClientToken'];
const CHANNELS = ['sms', 'call', 'email', 'whatsapp', 'sna', 'auto'];
const VERIFY_CODE = /^[0-9A-Za-z]{4,10}$/;
const TEN_MINUTES = 10 * 60_000;

export function twilioError(status: number, code: number, message: string): Reply {
  return { status, json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

export async function startTwilioStandIn(): Promise<TwilioStandIn> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const serviceSid = `VA${randomBytes(16).toString('hex')}`;
  const messages: TwilioMessageRecord[] = [];
  const verifications: TwilioVerificationRecord[] = [];
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;

  const server = await startStandInServer<TwilioFailure>((call, core) => {
    const route = routeOf(call.path);
    if (!route) throw new Rejected(`no such resource ${call.path}`, twilioError(404, 20404, `The requested resource ${call.path} was not found`));
    if (call.method !== 'POST') throw new Rejected(`${call.method} on ${route.kind}`, twilioError(405, 20004, 'Method not allowed'));
    // A malformed Authorization is the client's fault (a rejection); well-formed but wrong credentials or an
    // unknown service are the operator's (a plain vendor error the client must map).
    const authorization = call.headers.authorization ?? '';
    if (!/^Basic [A-Za-z0-9+/]+=*$/.test(authorization)) throw new Rejected('no HTTP Basic Authorization', twilioError(401, 20003, 'Authenticate'));
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    const accountError = authorization !== expected || (route.account !== undefined && route.account !== accountSid)
      ? twilioError(401, 20003, 'Authenticate')
      : route.service !== undefined && route.service !== serviceSid ? twilioError(404, 20404, `The requested resource ${call.path} was not found`) : undefined;
    // Called by each endpoint once the request is known to be well-formed.
    const answerInstead = (): Reply | undefined => {
      if (accountError) return accountError;
      const failure = core.takeFailure();
      return failure && twilioError(failure.status, failure.code, failure.message ?? `Error ${failure.code}`);
    };
    // twilio-node sends Accept: application/json; we hold our client to the SDK's headers.
    if (!String(call.headers.accept ?? '').includes('application/json')) {
      throw new Rejected('Accept must allow application/json', twilioError(406, 20001, 'Accept header must allow application/json'));
    }
    if (mediaType(call.headers) !== 'application/x-www-form-urlencoded') {
      throw new Rejected(`body must be form-encoded, got ${call.headers['content-type']}`, twilioError(400, 20001, 'Content-Type must be application/x-www-form-urlencoded'));
    }
    if (call.query.size > 0) throw new Rejected('parameters belong in the form body', twilioError(400, 20001, 'Unexpected query parameters'));
    if (route.kind === 'messages') return createMessage(call, answerInstead);
    if (route.kind === 'verifications') return startVerification(call, answerInstead);
    return checkVerification(call, answerInstead);
  });

  function createMessage(call: IncomingCall, answerInstead: () => Reply | undefined): Reply {
    const { fields, problem } = readForm(call.body, MESSAGE_FIELDS);
    if (problem) throw new Rejected(problem, twilioError(400, 20001, `Invalid parameter: ${problem}`));
    const to = fields.get('To');
    if (!to) throw new Rejected('To missing', twilioError(400, 21604, "A 'To' phone number is required."));
    if (!E164.test(to)) throw new Rejected('To not E.164', twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
    const from = fields.get('From') ?? null;
    const service = fields.get('MessagingServiceSid') ?? null;
    if (!from && !service) throw new Rejected('neither From nor MessagingServiceSid', twilioError(400, 21603, "A 'From' phone number is required."));
    if (from !== null && !(E164.test(from) || /^\d{5,6}$/.test(from) || /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(from))) {
      throw new Rejected('From is not a number, short code or alphanumeric id', twilioError(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`));
    }
    if (service !== null && !/^MG[0-9a-f]{32}$/.test(service)) throw new Rejected('MessagingServiceSid malformed', twilioError(400, 21701, 'The Messaging Service Sid is invalid.'));
    const body = fields.get('Body');
    if (!body) throw new Rejected('Body missing', service ? twilioError(400, 21619, 'A text message body or media urls must be specified.') : twilioError(400, 21602, 'Message body is required.'));
    if (body.length > 1600) throw new Rejected('Body over 1600 characters', twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'));
    const instead = answerInstead();
    if (instead) return instead;
    const sid = `SM${randomBytes(16).toString('hex')}`;
    messages.push({ sid, to, from, messagingServiceSid: service, body });
    const date = new Date(now()).toUTCString().replace('GMT', '+0000');
    return {
      status: 201,
      json: {
        sid, account_sid: accountSid, to, from, messaging_service_sid: service, body, status: service ? 'accepted' : 'queued',
        num_segments: String(Math.ceil(body.length / 160)), num_media: '0', direction: 'outbound-api', api_version: '2010-04-01',
        price: null, price_unit: 'USD', error_code: null, error_message: null,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`, date_created: date, date_updated: date, date_sent: null,
        subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
      },
    };
  }

  function startVerification(call: IncomingCall, answerInstead: () => Reply | undefined): Reply {
    const { fields, problem } = readForm(call.body, VERIFICATION_FIELDS);
    if (problem) throw new Rejected(problem, twilioError(400, 60200, `Invalid parameter: ${problem}`));
    const to = fields.get('To') ?? '';
    if (!E164.test(to)) throw new Rejected('To missing or not E.164', twilioError(400, 60200, 'Invalid parameter: To'));
    const channel = fields.get('Channel') ?? '';
    if (!CHANNELS.includes(channel)) throw new Rejected(`Channel "${channel}" not one of ${CHANNELS.join('|')}`, twilioError(400, 60200, 'Invalid parameter: Channel'));
    const customCode = fields.get('CustomCode');
    if (customCode !== undefined && !VERIFY_CODE.test(customCode)) throw new Rejected('CustomCode not 4–10 characters', twilioError(400, 60200, 'Invalid parameter: CustomCode'));
    const instead = answerInstead();
    if (instead) return instead;
    const recent = verifications.filter((v) => v.to === to && now() - v.createdAt < TEN_MINUTES);
    if (recent.length >= 5) return twilioError(429, 60203, 'Max send attempts reached');
    const verification: TwilioVerificationRecord = {
      sid: `VE${randomBytes(16).toString('hex')}`, to, channel, code: customCode ?? String(randomInt(0, 1_000_000)).padStart(6, '0'),
      customCode: customCode !== undefined, status: 'pending', wrongChecks: 0, createdAt: now(),
    };
    verifications.push(verification);
    return { status: 201, json: verificationBody(verification) };
  }

  function checkVerification(call: IncomingCall, answerInstead: () => Reply | undefined): Reply {
    const { fields, problem } = readForm(call.body, CHECK_FIELDS);
    if (problem) throw new Rejected(problem, twilioError(400, 60200, `Invalid parameter: ${problem}`));
    const code = fields.get('Code') ?? '';
    if (!VERIFY_CODE.test(code)) throw new Rejected('Code not 4–10 characters', twilioError(400, 60200, 'Invalid parameter: Code'));
    const sid = fields.get('VerificationSid');
    const to = fields.get('To');
    if (!sid && !to) throw new Rejected('neither To nor VerificationSid', twilioError(400, 60221, 'Either a To or VerificationSid must be specified.'));
    const instead = answerInstead();
    if (instead) return instead;
    const verification = sid ? verifications.find((v) => v.sid === sid) : verifications.findLast((v) => v.to === to && v.status === 'pending');
    if (verification && verification.status === 'pending' && now() - verification.createdAt >= TEN_MINUTES) verification.status = 'expired';
    if (!verification || verification.status === 'approved' || verification.status === 'expired') {
      return twilioError(404, 20404, `The requested resource /Services/${serviceSid}/VerificationCheck was not found`);
    }
    if (verification.status === 'max_attempts_reached') return twilioError(429, 60202, 'Max check attempts reached');
    if (code === verification.code) verification.status = 'approved';
    else if (++verification.wrongChecks >= 5) verification.status = 'max_attempts_reached';
    const body = verificationBody(verification);
    return { status: 200, json: { ...body, status: verification.status === 'approved' ? 'approved' : 'pending', valid: verification.status === 'approved' } };
  }

  function verificationBody(v: TwilioVerificationRecord): Record<string, unknown> {
    const date = new Date(v.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      sid: v.sid, service_sid: serviceSid, account_sid: accountSid, to: v.to, channel: v.channel, status: v.status, valid: false,
      lookup: { carrier: null }, amount: null, payee: null, send_code_attempts: [{ time: date, channel: v.channel }],
      date_created: date, date_updated: date, sna: null, url: `https://verify.twilio.com/v2/Services/${serviceSid}/Verifications/${v.sid}`,
    };
  }

  return Object.assign(server, {
    accountSid, authToken, serviceSid, messages, verifications,
    advanceClock: (ms: number) => void (clockOffset += ms),
  });
}

function routeOf(path: string): { kind: 'messages' | 'verifications' | 'check'; account?: string; service?: string } | null {
  const messages = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
  if (messages) return { kind: 'messages', account: decodeURIComponent(messages[1]!) };
  const verify = /^\/v2\/Services\/([^/]+)\/(Verifications|VerificationCheck)$/.exec(path);
  if (verify) return { kind: verify[2] === 'Verifications' ? 'verifications' : 'check', service: decodeURIComponent(verify[1]!) };
  return null;
}
