// A tenant's upstream connections as the sign-in flow uses them: the enabled ones in button order, and for one
// of them a connector built from its settings, its credential unsealed only here, at the moment of use.
import type { Sealer } from '../../crypto/sealing.js';
import { defaultDisplayNames, type ConnectionSettings, type ConnectionsSettings } from '../../tenants/connection-settings.js';
import { secretContext } from '../../tenants/tenant-settings-update.js';
import { discordConnector } from './discord.connector.js';
import { githubConnector } from './github.connector.js';
import { createOidcConnectors } from './oidc.connector.js';
import type { Connector } from './upstream.js';

export interface ConnectionButton {
  id: string;
  name: string;
  type: ConnectionSettings['type'];
  backgroundColor: string | null;
  textColor: string | null;
}

export const displayName = (connection: ConnectionSettings) => connection.displayName ?? defaultDisplayNames[connection.type];

/** `fetch`: how every upstream call leaves, the outbound guard's (net/outbound-guard.ts) */
export function createConnections(deps: { sealer: Sealer; fetch: typeof fetch }) {
  const oidc = createOidcConnectors(deps.fetch);
  const open = (tenantId: string, path: string, sealed: string) => deps.sealer.open(sealed, secretContext(tenantId, path));

  return {
    /** the enabled connections, for the login and account pages */
    buttons(connections: ConnectionsSettings): ConnectionButton[] {
      return Object.entries(connections)
        .filter(([, c]) => c.enabled)
        .sort(([a, ca], [b, cb]) => ca.order - cb.order || a.localeCompare(b))
        .map(([id, c]) => ({ id, name: displayName(c), type: c.type, backgroundColor: c.button.backgroundColor, textColor: c.button.textColor }));
    },
    /** null when the tenant has no enabled connection of that id */
    find(tenantId: string, connections: ConnectionsSettings, id: string): { settings: ConnectionSettings; connector: Connector } | null {
      const settings = Object.hasOwn(connections, id) ? connections[id] : undefined;
      if (!settings?.enabled) return null;
      return { settings, connector: connectorOf(tenantId, id, settings) };
    },
  };

  function connectorOf(tenantId: string, id: string, settings: ConnectionSettings): Connector {
    switch (settings.type) {
      case 'github': return githubConnector(settings, open(tenantId, `connections.${id}.clientSecret`, settings.clientSecret), deps.fetch);
      case 'discord': return discordConnector(settings, open(tenantId, `connections.${id}.clientSecret`, settings.clientSecret), deps.fetch);
      case 'apple': return oidc.connector(settings, open(tenantId, `connections.${id}.privateKey`, settings.privateKey));
      default: return oidc.connector(settings, settings.clientSecret ? open(tenantId, `connections.${id}.clientSecret`, settings.clientSecret) : null);
    }
  }
}

export type Connections = ReturnType<typeof createConnections>;
