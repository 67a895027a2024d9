# Install a service run by NSSM. Input: name, nssm (nssm.exe path or name), application.
# nssm-parameters then writes every parameter.
$name = [string]$in.name
$exe = Get-Command -Name ([string]$in.nssm) -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
if ($null -eq $exe) { throw ('nssm.exe not found as ' + [string]$in.nssm + ': install NSSM (e.g. choco install nssm) or set windows.nssm.executable to its full path') }
$ErrorActionPreference = 'Continue'
$out = & $exe.Source install $name ([string]$in.application) 2>&1
$ErrorActionPreference = 'Stop'
if ($LASTEXITCODE -ne 0) { throw ('nssm install ' + $name + ' failed with exit code ' + $LASTEXITCODE + ': ' + (($out | Out-String).Trim())) }
return @{ installed = $name; nssm = $exe.Source }
