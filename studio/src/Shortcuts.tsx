// The keyboard shortcuts, listed in a dialog (open with "?" or the Shortcuts button).
import { type JSX, useEffect, useRef } from "react";
import { trapTab } from "./focus";

export const SHORTCUTS: [keys: string, what: string][] = [
  ["Ctrl/Cmd+S", "save the open design"],
  ["Alt+Shift+N", "new design"],
  ["Alt+Shift+D", "duplicate the open design"],
  ["Alt+Shift+G", "show or hide the example gallery"],
  ["Alt+Shift+F", "focus the workspace file list"],
  ["Alt+Shift+E", "focus the YAML editor"],
  ["F8 / Shift+F8", "next / previous problem (in the editor)"],
  ["Ctrl/Cmd+Shift+M", "the editor's list of problems"],
  ["Tab / Shift+Tab", "move between controls (the editor does not keep Tab)"],
  ["Esc", "close a dialog"],
  ["?", "this list"],
];

export function Shortcuts(props: { list: typeof SHORTCUTS; onClose(): void }): JSX.Element {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const back = document.activeElement as HTMLElement | null;
    close.current?.focus();
    return () => back?.focus?.();
  }, []);
  return (
    <div
      className="backdrop"
      onKeyDown={(e) => {
        if (e.key === "Escape") props.onClose();
        trapTab(e);
      }}
      onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}
    >
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <table>
          <tbody>
            {props.list.map(([keys, what]) => (
              <tr key={keys}>
                <th scope="row">
                  <kbd>{keys}</kbd>
                </th>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="buttons">
          <button type="button" ref={close} onClick={props.onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
