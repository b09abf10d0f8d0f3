-- Drives `aml-baseline lsp` from Neovim's built-in LSP client (headless):
-- opens a template, waits for the diagnostics, asks for the hover and the
-- code actions, applies the safe fix to the buffer (unsaved), waits for the
-- finding to go away, and stops the server (shutdown, exit). Writes what it
-- saw to $OUT; any failure exits non-zero. Run by scripts/nvim-lsp-e2e.sh.
-- Works with Neovim 0.7 (Debian 12's) and later.

local bin, root, file, out = os.getenv('AML_BASELINE'), os.getenv('ROOT'), os.getenv('FILE'), os.getenv('OUT')
local lines = {}
local function say(s) table.insert(lines, s) end
local function fail(s)
  say('FAILED: ' .. s)
  vim.fn.writefile(lines, out)
  vim.cmd('cquit 1')
end
local severities = { 'error', 'warning', 'info', 'hint' }
local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ''
end
local function dump(buf, title)
  say(title)
  local list = vim.diagnostic.get(buf)
  table.sort(list, function(a, b) return a.lnum < b.lnum or (a.lnum == b.lnum and code_of(a) < code_of(b)) end)
  for _, d in ipairs(list) do
    local first = vim.split(d.message, '\n')[1]
    say(string.format('  %s:%d:%d: %s %s: %s', vim.fn.fnamemodify(file, ':t'), d.lnum + 1, d.col + 1,
      severities[d.severity], code_of(d), first))
  end
  return list
end
local function has(buf, code)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if code_of(d) == code then return d end
  end
  return nil
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start_client({ name = 'aml-baseline', cmd = { bin, 'lsp' }, root_dir = root })
if not id then fail('the client did not start') end
vim.lsp.buf_attach_client(buf, id)
local rule = 'AMLB-POL-438c38d2'
if not vim.wait(60000, function() return has(buf, rule) ~= nil end, 50) then fail('no ' .. rule .. ' diagnostic') end
dump(buf, 'diagnostics after opening ' .. vim.fn.fnamemodify(file, ':t') .. ':')
local d = has(buf, rule)
local uri = vim.uri_from_bufnr(buf)
local position = { line = d.lnum, character = d.col }

local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', { textDocument = { uri = uri }, position = position }, 20000)
local page = hover and hover[id] and hover[id].result and hover[id].result.contents.value or ''
if not page:find(rule, 1, true) then fail('the hover has no rule page') end
say('hover: ' .. vim.split(page, '\n')[1])

local range = { start = position, ['end'] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col } }
local lsp_diagnostic = (d.user_data and d.user_data.lsp)
  or { range = range, message = d.message, code = rule, source = 'aml-baseline' }
local reply = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction',
  { textDocument = { uri = uri }, range = range, context = { diagnostics = { lsp_diagnostic } } }, 20000)
if not reply or not reply[id] then fail('no answer to textDocument/codeAction') end
local err = reply[id].err or reply[id].error
if err then fail('textDocument/codeAction: ' .. vim.inspect(err)) end
local actions = reply[id].result or {}
local fix
say('code actions:')
for _, a in ipairs(actions) do
  say('  [' .. (a.kind or '') .. '] ' .. a.title)
  if a.isPreferred and a.title:find('Fix ' .. rule, 1, true) then fix = a end
end
if not fix then fail('no safe fix for ' .. rule) end
vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
if not vim.wait(60000, function() return has(buf, rule) == nil end, 50) then fail(rule .. ' stays after the fix') end
dump(buf, 'diagnostics after applying "' .. fix.title .. '" (unsaved):')

vim.lsp.stop_client(id)
if not vim.wait(20000, function() return vim.lsp.get_client_by_id(id) == nil end, 50) then fail('the server did not stop') end
say('server stopped (shutdown, exit)')
vim.fn.writefile(lines, out)
vim.cmd('qall!')
