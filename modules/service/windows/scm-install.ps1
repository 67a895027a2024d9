# Create a service with the SCM (New-Service: the binary path is a cmdlet argument, so its quotes
# survive). It starts as a manual LocalSystem service; scm-configure sets everything else.
# Input: name, argv (program and arguments), display_name.
# Uses $joinArgs (prelude quote.ps1).
$name = [string]$in.name
$binaryPath = '"' + [string]@($in.argv)[0] + '" ' + (& $joinArgs @($in.argv | Select-Object -Skip 1))
if ($null -ne (Get-Service -Name $name -ErrorAction SilentlyContinue)) { throw ('service ' + $name + ' exists already (or is marked for deletion: close the Services console and retry)') }
New-Service -Name $name -BinaryPathName $binaryPath.TrimEnd() -DisplayName ([string]$in.display_name) -StartupType Manual | Out-Null
return @{ created = $name }
