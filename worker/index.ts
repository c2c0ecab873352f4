// The edgesync Worker of this repository: the package's own factory (edgesync/server) with every
// setting taken from the environment (wrangler.toml [vars], secrets), in front of one Durable
// Object per document; and the webhook queue's consumer (docs/webhooks.md).
import { createEdgesync, createWebhookConsumer } from "../server";

export { DocumentObject, EdgesyncRpc } from "../server";

const app = createEdgesync();

export default {
  fetch: app.fetch,
  queue: createWebhookConsumer(),
};
