// The edgesync Worker of this repository: the package's own factory (edgesync/server) with every
// setting taken from the environment (wrangler.toml [vars], secrets), in front of one Durable
// Object per document.
import { createEdgesync } from "../server";

export { DocumentObject } from "../durable-objects/document-object";

export default createEdgesync();
