package main

import (
	"fmt"
	"io"
	"strings"
)

// writeBash writes a bash completion: load it with
// `source <(pcapmeter completion bash)`. Flags whose value is free
// (addresses, files) fall back to file names (-o default).
func writeBash(w io.Writer) {
	fmt.Fprintf(w, "# bash completion for pcapmeter: source <(pcapmeter completion bash)\n_pcapmeter() {\n")
	fmt.Fprintf(w, "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n  COMPREPLY=()\n")
	fmt.Fprintf(w, "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n    return\n  fi\n", strings.Join(topWords(), " "))
	fmt.Fprintf(w, "  case \"${COMP_WORDS[1]}\" in\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s)\n    case \"$prev\" in\n", c.name)
		var words []string
		for _, f := range flagsOf(c) {
			names := "--" + f.long
			words = append(words, "--"+f.long)
			if f.short != "" {
				names += "|-" + f.short
				words = append(words, "-"+f.short)
			}
			if vs, ok := c.values[f.long]; ok {
				fmt.Fprintf(w, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", names, strings.Join(vs, " "))
			} else if f.value {
				fmt.Fprintf(w, "    %s) return ;;\n", names)
			}
		}
		fmt.Fprintf(w, "    esac\n    if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); fi\n    ;;\n", strings.Join(words, " "))
	}
	fmt.Fprintf(w, "  help) [ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", commandNames())
	fmt.Fprintf(w, "  completion) [ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(shells, " "))
	fmt.Fprintf(w, "  esac\n}\ncomplete -o default -F _pcapmeter pcapmeter\n")
}

// zshText makes s safe inside an _arguments spec in single quotes.
func zshText(s string) string {
	return strings.NewReplacer("'", "'\\''", "[", "(", "]", ")", ":", " -", "`", "").Replace(s)
}

// writeZsh writes a zsh completion: `source <(pcapmeter completion zsh)`
// after compinit, or save it as _pcapmeter on $fpath.
func writeZsh(w io.Writer) {
	fmt.Fprintf(w, "#compdef pcapmeter\n# zsh completion for pcapmeter\n_pcapmeter() {\n  local -a cmds\n  cmds=(\n")
	for _, c := range commands {
		fmt.Fprintf(w, "    '%s:%s'\n", c.name, zshText(c.summary))
	}
	fmt.Fprintf(w, "    'help:a command'\\''s flags'\n    'completion:shell completion script'\n  )\n")
	fmt.Fprintf(w, "  if (( CURRENT == 2 )); then\n    _describe command cmds\n    return\n  fi\n  local sub=$words[2]\n  shift words\n  (( CURRENT-- ))\n  case $sub in\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s)\n    _arguments \\\n", c.name)
		for _, f := range flagsOf(c) {
			spec := "--" + f.long
			if f.short != "" {
				spec = "{-" + f.short + ",--" + f.long + "}"
			}
			val := ""
			if vs, ok := c.values[f.long]; ok {
				val = ":" + f.long + ":(" + strings.Join(vs, " ") + ")"
			} else if f.value {
				val = ":" + f.long + ":_files"
			}
			if f.short != "" {
				fmt.Fprintf(w, "      '(-%s --%s)'%s'[%s]%s' \\\n", f.short, f.long, spec, zshText(f.usage), val)
			} else {
				fmt.Fprintf(w, "      '%s[%s]%s' \\\n", spec, zshText(f.usage), val)
			}
		}
		fmt.Fprintf(w, "      '*:capture:_files'\n    ;;\n")
	}
	fmt.Fprintf(w, "  help) _values command %s ;;\n", commandNames())
	fmt.Fprintf(w, "  completion) _values shell %s ;;\n  esac\n}\ncompdef _pcapmeter pcapmeter\n", strings.Join(shells, " "))
}

// fishText makes s safe inside single quotes in fish.
func fishText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "'", `\'`, "`", "").Replace(s)
}

// writeFish writes a fish completion: `pcapmeter completion fish | source`,
// or save it in ~/.config/fish/completions/pcapmeter.fish.
func writeFish(w io.Writer) {
	fmt.Fprintln(w, "# fish completion for pcapmeter")
	top := "__fish_use_subcommand"
	for _, c := range commands {
		fmt.Fprintf(w, "complete -c pcapmeter -f -n %s -a %s -d '%s'\n", top, c.name, fishText(c.summary))
	}
	fmt.Fprintf(w, "complete -c pcapmeter -f -n %s -a help -d 'a command'\\''s flags'\n", top)
	fmt.Fprintf(w, "complete -c pcapmeter -f -n %s -a completion -d 'shell completion script'\n", top)
	fmt.Fprintf(w, "complete -c pcapmeter -f -n %s -l version -d 'pcapmeter and tshark versions'\n", top)
	for _, c := range commands {
		cond := "'__fish_seen_subcommand_from " + c.name + "'"
		for _, f := range flagsOf(c) {
			line := "complete -c pcapmeter -n " + cond + " -l " + f.long
			if f.short != "" {
				line += " -s " + f.short
			}
			if vs, ok := c.values[f.long]; ok {
				line += " -x -a '" + strings.Join(vs, " ") + "'"
			} else if f.value {
				line += " -r"
			}
			fmt.Fprintf(w, "%s -d '%s'\n", line, fishText(f.usage))
		}
	}
	fmt.Fprintf(w, "complete -c pcapmeter -f -n '__fish_seen_subcommand_from help' -a '%s'\n", commandNames())
	fmt.Fprintf(w, "complete -c pcapmeter -f -n '__fish_seen_subcommand_from completion' -a '%s'\n", strings.Join(shells, " "))
}
