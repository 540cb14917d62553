// Meta's WhatsApp Cloud API send endpoint for authentication templates, as VENDORS §4 documents it:
// `POST /v{N}.0/{phone-number-id}/messages`, `Authorization: Bearer`, JSON body with the template, the code as
// body parameter AND as the parameter of the copy-code button (sub_type "url", index "0"), code ≤ 15 chars.
// Errors in the Graph envelope `{"error":{message,type,code,error_data,fbtrace_id}}`.
import { randomBytes } from 'node:crypto';
import { mediaType, Rejected, startStandInServer, type Reply, type StandInServer } from './stand-in-server.js';

export interface WhatsAppFailure { status: number; code: number; message?: string; details?: string; subcode?: number }

export interface WhatsAppRecord { messageId: string; to: string; templateName: string; language: string; code: string }

export interface WhatsAppStandIn extends StandInServer<WhatsAppFailure> {
  readonly accessToken: string;
  readonly phoneNumberId: string;
  readonly templateName: string;
  readonly language: string;
  /** valid sends that were answered with success */
  readonly sent: WhatsAppRecord[];
}

export function graphError(status: number, code: number, message: string, details?: string, subcode?: number): Reply {
  return {
    status,
    json: {
      error: {
        message, type: 'OAuthException', code,
        ...(details === undefined ? {} : { error_data: { messaging_product: 'whatsapp', details } }),
        ...(subcode === undefined ? {} : { error_subcode: subcode }),
        fbtrace_id: randomBytes(9).toString('base64url'),
      },
    },
  };
}

const invalid = (reason: string, details: string): Rejected => new Rejected(reason, graphError(400, 131009, '(#131009) Parameter value is not valid', details));

export async function startWhatsAppStandIn(): Promise<WhatsAppStandIn> {
  const accessToken = `EAAG${randomBytes(24).toString('base64url')}`;
  const phoneNumberId = String(100000000000000 + Math.floor(Math.random() * 1e14));
  const templateName = 'verification_code';
  const language = 'en_US';
  const sent: WhatsAppRecord[] = [];

  const server = await startStandInServer<WhatsAppFailure>((call, core) => {
    const match = /^\/(v\d+\.0)\/([^/]+)\/messages$/.exec(call.path);
    if (!match) throw new Rejected(`no such endpoint ${call.path}`, graphError(400, 100, 'Unsupported post request.'));
    if (call.method !== 'POST') throw new Rejected(`${call.method} instead of POST`, graphError(400, 100, 'Unsupported request - method type'));
    if (!/^Bearer \S+$/.test(call.headers.authorization ?? '')) {
      throw new Rejected('no Authorization: Bearer <token>', graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token'));
    }
    if (call.query.size > 0) throw new Rejected('parameters belong in the JSON body', graphError(400, 100, '(#100) Invalid parameter'));
    let body: Record<string, unknown>;
    try {
      if (mediaType(call.headers) !== 'application/json') throw new Error('not JSON');
      body = JSON.parse(call.body) as Record<string, unknown>;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    } catch {
      throw new Rejected('body must be a JSON object sent as application/json', graphError(400, 100, '(#100) Invalid parameter'));
    }
    const extra = Object.keys(body).filter((key) => !['messaging_product', 'recipient_type', 'to', 'type', 'template'].includes(key));
    if (extra.length) throw new Rejected(`unexpected fields ${extra.join(', ')}`, graphError(400, 100, `(#100) Param ${extra[0]} is not valid`));
    if (body.messaging_product !== 'whatsapp') throw new Rejected('messaging_product must be "whatsapp"', graphError(400, 100, '(#100) The parameter messaging_product is required.'));
    if (body.recipient_type !== undefined && body.recipient_type !== 'individual') throw invalid('recipient_type must be "individual"', 'recipient_type');
    if (typeof body.to !== 'string' || !/^\+?[1-9]\d{6,14}$/.test(body.to)) throw invalid('to must be the number with country code', 'to');
    if (body.type !== 'template') throw invalid('type must be "template"', 'type');
    const template = body.template as Record<string, unknown> | undefined;
    if (typeof template !== 'object' || template === null) throw new Rejected('template missing', graphError(400, 131008, '(#131008) Required parameter is missing', 'template'));
    const lang = (template.language as { code?: unknown } | undefined)?.code;
    if (typeof template.name !== 'string' || !template.name || typeof lang !== 'string') throw invalid('template needs name and language.code', 'template');
    const code = templateCode(template.components);
    // Well-formed but not this account's token, number or templates: vendor errors, not rejections.
    if (call.headers.authorization !== `Bearer ${accessToken}`) return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (match[2] !== phoneNumberId) return graphError(400, 100, `Unsupported post request. Object with ID '${match[2]}' does not exist`, undefined, 33);
    if (template.name !== templateName || lang !== language) {
      return graphError(404, 132001, '(#132001) Template name does not exist in the translation', `template name (${template.name}) does not exist in ${lang}`);
    }
    const failure = core.takeFailure();
    if (failure) return graphError(failure.status, failure.code, failure.message ?? `(#${failure.code}) error`, failure.details, failure.subcode);
    const messageId = `wamid.${randomBytes(30).toString('base64url')}`;
    sent.push({ messageId, to: body.to, templateName, language, code });
    return {
      status: 200,
      json: { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to.replace(/^\+/, '') }], messages: [{ id: messageId }] },
    };
  });

  return Object.assign(server, { accessToken, phoneNumberId, templateName, language, sent });
}

/** The components of an authentication template with a copy-code button: the code, twice, identical. */
function templateCode(components: unknown): string {
  const mismatch = (reason: string) => new Rejected(reason, graphError(400, 132000, '(#132000) Number of parameters does not match the expected number of params', reason));
  if (!Array.isArray(components) || components.length !== 2) throw mismatch('components must be [body, button]');
  const body = components.find((c) => c?.type === 'body');
  const button = components.find((c) => c?.type === 'button');
  if (!body || !button) throw mismatch('one body and one button component are required');
  if (button.sub_type !== 'url') throw invalid('the copy-code button is sent as sub_type "url"', 'sub_type');
  if (button.index !== '0') throw invalid('button index must be the string "0"', 'index');
  const texts = [body, button].map((component) => {
    const parameters = component.parameters;
    if (!Array.isArray(parameters) || parameters.length !== 1) throw mismatch(`${component.type} needs exactly one parameter`);
    const [parameter] = parameters;
    if (parameter?.type !== 'text' || typeof parameter.text !== 'string') throw invalid(`${component.type} parameter must be {type:"text",text}`, 'parameters');
    return parameter.text as string;
  });
  if (texts[0] !== texts[1]) throw invalid('the body and the button must carry the same code', 'parameters');
  if (texts[0]!.length < 1 || texts[0]!.length > 15) throw invalid('the code must be 1–15 characters', 'parameters');
  return texts[0]!;
}
