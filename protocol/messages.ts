// The y-websocket wire protocol (y-protocols + lib0), byte for byte, plus edgesync's opt-in
// extensions, in one import. Each message family has its own pure module:
// - envelope.ts: message types, ProtocolError, and the frames both sides send;
// - client-messages.ts: what clients send (the server's validating decoder);
// - server-messages.ts: what servers send (the client's decoder);
// - validation.ts: full validation of updates, state vectors and awareness updates.
export * from "./envelope";
export * from "./client-messages";
export * from "./server-messages";
export * from "./validation";
