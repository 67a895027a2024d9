# Create a service with the SCM (New-Service: the binary path is a cmdlet argument, so its quotes
# survive). It starts as a manual LocalSystem service; scm-configure sets everything else.
# Input: name, binary_path, display_name.
$name = [string]$in.name
if ($null -ne (Get-Service -Name $name -ErrorAction SilentlyContinue)) { throw ('service ' + $name + ' exists already (or is marked for deletion: close the Services console and retry)') }
New-Service -Name $name -BinaryPathName ([string]$in.binary_path) -DisplayName ([string]$in.display_name) -StartupType Manual | Out-Null
return @{ created = $name }
