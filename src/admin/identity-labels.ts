// Names a person reads in the console instead of ids (issue #14): users by email (else phone, else name), operators
// (`operator:<id>`, users of the system tenant) the same way, clients by their name. The id stays at hand: views
// show it on hover (title) and on the detail pages. An id nothing matches (deleted since, a pseudonym) stays as it is.
import type { Services } from '../services.js';
import type { TenantSummary } from '../tenants/tenants.service.js';
import { systemSlug } from '../tenants/issuer.js';

export interface Identity {
  /** what to show (the name a `labelKey` text is about, when there is one) */
  label: string;
  /** a catalogue text around the label ("operator {{name}}"), in the console's language */
  labelKey?: string;
  /** the raw value, for the title and filters */
  id: string;
  /** a console page about it, when there is one */
  href: string | null;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const operatorPrefix = 'operator:';
const clientPrefix = 'client:';

export function createIdentityLabels(services: Services) {
  return {
    /**
     * Resolves every value in one round per kind. @returns a function naming one value (null for an empty one)
     */
    async resolver(tenant: TenantSummary, values: readonly (string | null | undefined)[]): Promise<(value: string | null | undefined) => Identity | null> {
      const present = values.filter((v): v is string => !!v);
      const users = present.filter((v) => uuid.test(v));
      const operators = present.filter((v) => v.startsWith(operatorPrefix)).map((v) => v.slice(operatorPrefix.length));
      const system = operators.length ? await services.tenants.find(systemSlug) : null;
      const [userLabels, operatorLabels, clients, apiClients] = await Promise.all([
        services.userAdmin.labels({ id: tenant.id, slug: tenant.slug }, users),
        system ? services.userAdmin.labels({ id: system.id, slug: system.slug }, operators) : Promise.resolve(new Map<string, string>()),
        services.clientAdmin.list(tenant.id),
        present.some((v) => v.startsWith(clientPrefix)) && system ? services.clientAdmin.list(system.id) : Promise.resolve([]),
      ]);
      const clientNames = new Map(clients.map((c) => [c.client_id, String(c.client_name ?? c.client_id)]));
      const apiClientNames = new Map(apiClients.map((c) => [c.client_id, String(c.client_name ?? c.client_id)]));
      const base = `/admin/tenants/${tenant.slug}`;
      return (value) => {
        if (!value) return null;
        const user = userLabels.get(value);
        if (user) return { label: user, id: value, href: `${base}/users/${value}` };
        if (value.startsWith(operatorPrefix)) {
          const operator = operatorLabels.get(value.slice(operatorPrefix.length));
          if (operator) return { label: operator, labelKey: 'console.identity.operator', id: value, href: null };
        }
        if (value.startsWith(clientPrefix)) {
          const client = apiClientNames.get(value.slice(clientPrefix.length));
          if (client) return { label: client, labelKey: 'console.identity.apiClient', id: value, href: null };
        }
        const client = clientNames.get(value);
        if (client) return { label: client, id: value, href: `${base}/clients/${encodeURIComponent(value)}` };
        return { label: value, id: value, href: null };
      };
    },
  };
}
