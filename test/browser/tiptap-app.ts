// The page a Tiptap app would be, bundled for real Chromium by tiptap.test.ts: a stock Tiptap
// editor (StarterKit + Collaboration) over a stock HocuspocusProvider, nothing else. No DOM types
// here: the root tsconfig type-checks test/ for Workers and Node.
import { HocuspocusProvider } from "@hocuspocus/provider";
import { Editor, type EditorOptions } from "@tiptap/core";
import Collaboration from "@tiptap/extension-collaboration";
import StarterKit from "@tiptap/starter-kit";

export interface MountOptions {
  url: string;
  name: string;
  token: string;
}

/** Mounts an editor on `element`, bound to the document `name` on the server at `url`. */
export function mount(element: EditorOptions["element"], { url, name, token }: MountOptions) {
  const provider = new HocuspocusProvider({ url, name, token });
  const editor = new Editor({
    element,
    extensions: [
      // Collaboration brings its own undo over Yjs; StarterKit's would fight it.
      StarterKit.configure({ undoRedo: false }),
      Collaboration.configure({ document: provider.document }),
    ],
  });
  return { editor, provider };
}
