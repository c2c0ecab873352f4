// The contract's own rules: the role lattice, the handoff round trip (the public document info and
// its schema: worker/routes/document-info-schema.test.ts). Its error table is rendered into docs/errors.md
// and checked there by test/docs/error-tables.test.ts.
import { describe, expect, it } from "vitest";
import { actorProblem, canWrite, isRole, readHandoff, roleAllows, ROLES, writeHandoff } from ".";

describe("the role lattice", () => {
  it("orders read < write < admin, and only write and admin may change a document", () => {
    const allowed = ROLES.flatMap((role) =>
      ROLES.filter((needed) => roleAllows(role, needed)).map((needed) => `${role}>=${needed}`),
    );
    expect(allowed).toEqual([
      "read>=read",
      "write>=read",
      "write>=write",
      "admin>=read",
      "admin>=write",
      "admin>=admin",
    ]);
    expect(ROLES.filter(canWrite)).toEqual(["write", "admin"]);
  });

  it("recognises only the three role names", () => {
    expect(ROLES.every(isRole)).toBe(true);
    for (const value of ["Read", "owner", "", null, 1, undefined, "admin "])
      expect(isRole(value)).toBe(false);
  });
});

describe("the handoff", () => {
  it("carries doc, role, expiry and subject from the Worker to the Durable Object", () => {
    const headers = new Headers();
    writeHandoff(headers, { docId: "team:notes", role: "write", exp: 1_900_000_000, sub: "ada" });
    expect(readHandoff(headers)).toEqual({
      docId: "team:notes",
      role: "write",
      exp: 1_900_000_000,
      sub: "ada",
    });
    const open = new Headers();
    writeHandoff(open, { docId: "d", role: "admin", exp: null });
    expect(readHandoff(open)).toEqual({ docId: "d", role: "admin", exp: null });
  });

  it("carries any document name and subject, which a header cannot hold as they are", () => {
    for (const docId of [
      "org/42/doc",
      "Meeting notes 2026",
      "漢字 🌟",
      "<>{}|^ß%",
      " a\\b ",
      "..",
    ]) {
      const headers = new Headers();
      writeHandoff(headers, { docId, role: "read", exp: null, sub: "Zoë ✨" });
      expect(readHandoff(headers)).toEqual({ docId, role: "read", exp: null, sub: "Zoë ✨" });
    }
  });

  it("refuses a request that did not come through the Worker", () => {
    expect(() => readHandoff(new Headers())).toThrow(/edgesync Worker/);
    const forged = new Headers();
    writeHandoff(forged, { docId: "d", role: "read", exp: null });
    forged.set("x-edgesync-role", "owner");
    expect(() => readHandoff(forged)).toThrow(/edgesync Worker/);
  });
});

describe("an RPC actor", () => {
  it("needs an id, and a name, colour and role of the right shape if given", () => {
    expect(actorProblem({ id: "job" })).toBeNull();
    expect(actorProblem({ id: "a", name: "Ada", color: "#fff", role: "read" })).toBeNull();
    const refused = [
      null,
      "job",
      {},
      { id: "" },
      { id: "x".repeat(129) },
      { id: "a", name: 1 },
      { id: "a", name: "n".repeat(65) },
      { id: "a", color: {} },
      { id: "a", role: "owner" },
    ];
    for (const actor of refused) expect(actorProblem(actor), JSON.stringify(actor)).toBeTruthy();
  });
});
