module chaman-operator/test/tools/argocd-lua

// Runs Argo CD health scripts in gopher-lua, the Lua that Argo CD embeds.

go 1.26.0

require github.com/yuin/gopher-lua v1.1.2
