// The edgesync Worker of this repository: the package's own factory (edgesync/server) with every
// setting taken from the environment (wrangler.toml [vars], secrets), in front of one Durable
// Object per document.
import { createEdgesync } from "../server";

export { DocumentObject, EdgesyncRpc } from "../server";

export default createEdgesync();
